"""`TrainConfig`: the typed form of run.yaml (contract #2), its validation and its YAML round trip.

run.yaml is a flat mapping. `preset` picks the base values (presets.py); every other key overrides one field.
The trainer writes the resolved config (every field, `max_length` filled in) to `<output_dir>/config.yaml`
together with a `run_info` block (library versions, device, dataset manifest hash) that `load_config` accepts
and ignores, so `train --config <run>/config.yaml` reproduces the run from its folder alone.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from medqa_trainer.atomic import write_text_atomic
from medqa_trainer.presets import DEFAULT_PRESET, PRESETS

# Keys allowed in a config file besides the fields: written by the trainer, informational only.
RESERVED_KEYS = ("run_info",)
PADDING_CHOICES = ("max_length", "longest")
QUANTIZATION_CHOICES = ("auto", "nf4", "none")
SCHEDULER_CHOICES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
)


class ConfigError(ValueError):
    """A config the trainer cannot run; the message says what to change."""


@dataclass(kw_only=True)
class TrainConfig:
    """Field names and order follow contract #2 (docs in trainer/README.md)."""

    model_name_or_path: str
    train_file: str
    validation_file: str | None = None
    dataset_manifest: str | None = None  # manifest.json of the export (default: the one beside train_file)
    output_dir: str
    preset: str = DEFAULT_PRESET
    max_length: int | None = None  # None: chosen from the training data's length distribution
    num_train_epochs: float = 3.0
    max_steps: int = -1  # -1: run num_train_epochs
    per_device_train_batch_size: int = 4
    per_device_eval_batch_size: int = 8
    gradient_accumulation_steps: int = 4
    learning_rate: float = 2e-4
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(default_factory=lambda: ["q_proj", "v_proj"])
    quantization: str = "auto"
    eval_steps: int = 500
    save_steps: int = 500
    logging_steps: int = 10
    save_total_limit: int | None = 3
    early_stopping_patience: int | None = 3  # None or 0: no early stopping
    # Validation runs every eval_steps; on a CPU a full MedQuAD validation split takes minutes each time. A seeded,
    # question-type-stratified sample of this many examples is used; None or 0: every validation example.
    max_validation_examples: int | None = 300
    seed: int = 42
    packing: bool = False
    group_by_length: bool = True
    padding: str = "longest"
    system_prompt: str | None = None  # None: keep the export's messages; a string replaces the system turn
    deepspeed: str | None = None  # None, a preset name from medqa_trainer/configs/, or a JSON file path
    gradient_checkpointing: bool = False
    # Retrieval-augmented training: the top-k sources of this index (`index build` over the training split) go
    # into each prompt, the pair itself and its duplicate group left out; None trains closed-book.
    retrieval_index: str | None = None
    retrieval_k: int = 3
    retrieval_context_tokens: int = 384  # the user turn with its sources; at most half of max_length

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELD_NAMES = tuple(f.name for f in fields(TrainConfig))
REQUIRED_FIELDS = ("model_name_or_path", "train_file", "output_dir")


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(TrainConfig)


def _coerce(name: str, value: Any, annotation: Any) -> Any:
    """Check one value against its field type; accept what YAML commonly produces (ints for floats, '2e-4')."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        annotation = next(a for a in args if a is not type(None))
    if annotation is bool:
        if isinstance(value, bool):
            return value
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # PyYAML reads `2e-4` (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif annotation is str:
        if isinstance(value, str):
            return value
    elif typing.get_origin(annotation) is list:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    type_name = getattr(annotation, "__name__", str(annotation))
    raise ConfigError(f"{name}: expected {type_name}, got {value!r}")


def resolve_config(values: Mapping[str, Any], source: str = "config") -> TrainConfig:
    """Preset base values + overrides -> a validated TrainConfig. All problems are reported at once."""
    unknown = sorted(k for k in values if k not in FIELD_NAMES and k not in RESERVED_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(unknown)}. Known keys: {', '.join(FIELD_NAMES)}."
        )
    preset = values.get("preset", DEFAULT_PRESET)
    if preset not in PRESETS:
        raise ConfigError(f"{source}: preset {preset!r} is not one of {', '.join(PRESETS)}")
    merged: dict[str, Any] = {**PRESETS[preset], **{k: v for k, v in values.items() if k in FIELD_NAMES}}
    merged["preset"] = preset
    missing = [name for name in REQUIRED_FIELDS if merged.get(name) in (None, "")]
    problems = [f"{name} is required" for name in missing]
    types_by_name = _field_types()
    coerced: dict[str, Any] = {}
    for name in FIELD_NAMES:
        if name not in merged or name in missing:
            continue
        try:
            coerced[name] = _coerce(name, merged[name], types_by_name[name])
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    config = TrainConfig(**coerced)
    problems = validate(config)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return config


def validate(config: TrainConfig) -> list[str]:
    problems: list[str] = []

    def check(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    check(config.padding in PADDING_CHOICES, f"padding must be one of {', '.join(PADDING_CHOICES)}")
    check(
        config.quantization in QUANTIZATION_CHOICES,
        f"quantization must be one of {', '.join(QUANTIZATION_CHOICES)}",
    )
    check(
        config.lr_scheduler_type in SCHEDULER_CHOICES,
        f"lr_scheduler_type must be one of {', '.join(SCHEDULER_CHOICES)}",
    )
    check(config.max_length is None or config.max_length >= 16, "max_length must be at least 16 (or null)")
    check(config.max_steps == -1 or config.max_steps > 0, "max_steps must be -1 (off) or positive")
    check(config.max_steps > 0 or config.num_train_epochs > 0, "num_train_epochs must be positive")
    for name in (
        "per_device_train_batch_size",
        "per_device_eval_batch_size",
        "gradient_accumulation_steps",
        "lora_r",
        "lora_alpha",
        "eval_steps",
        "save_steps",
        "logging_steps",
    ):
        check(getattr(config, name) > 0, f"{name} must be positive")
    check(config.learning_rate > 0, "learning_rate must be positive")
    check(1 <= config.retrieval_k <= 20, "retrieval_k must be from 1 to 20")
    check(config.retrieval_context_tokens >= 64, "retrieval_context_tokens must be at least 64")
    check(0 <= config.warmup_ratio < 1, "warmup_ratio must be in [0, 1)")
    check(0 <= config.lora_dropout < 1, "lora_dropout must be in [0, 1)")
    check(config.weight_decay >= 0, "weight_decay must be >= 0")
    check(bool(config.lora_target_modules), "lora_target_modules must name at least one module")
    check(config.save_total_limit is None or config.save_total_limit > 0, "save_total_limit must be positive")
    check(
        config.early_stopping_patience is None or config.early_stopping_patience >= 0,
        "early_stopping_patience must be >= 0",
    )
    # The best checkpoint is only known at an evaluation, so saves must fall on evaluation steps.
    check(
        config.save_steps % config.eval_steps == 0,
        f"save_steps ({config.save_steps}) must be a multiple of eval_steps ({config.eval_steps})",
    )
    check(not (config.packing and config.padding == "max_length"), "packing needs padding: longest")
    return problems


def load_config(path: str | Path) -> TrainConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}") from error
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a flat mapping of keys to values, got {type(values).__name__}")
    config = resolve_config(values, source=str(path))
    base = path.parent
    # Relative data/model/output paths are read relative to the config file, so a run folder is portable.
    for name in ("train_file", "validation_file", "dataset_manifest", "output_dir"):
        value = getattr(config, name)
        if value and not Path(value).is_absolute():
            setattr(config, name, str((base / value).resolve()))
    model = config.model_name_or_path
    if (model.startswith((".", "/")) or (base / model).exists()) and not Path(model).is_absolute():
        config.model_name_or_path = str((base / model).resolve())
    return config


def config_to_yaml(config: TrainConfig, run_info: Mapping[str, Any] | None = None) -> str:
    data: dict[str, Any] = config.to_dict()
    if run_info is not None:
        data["run_info"] = dict(run_info)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def save_config(config: TrainConfig, path: str | Path, run_info: Mapping[str, Any] | None = None) -> None:
    write_text_atomic(Path(path), config_to_yaml(config, run_info))  # a reader never sees half a config
