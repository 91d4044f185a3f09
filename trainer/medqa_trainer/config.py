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
# Experiment trackers the HF Trainer's own integrations log to (TrainingArguments.report_to); see tracking.py.
REPORT_TO_CHOICES = ("none", "tensorboard", "mlflow")
SCHEDULER_CHOICES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
)
# The fields that take one of a fixed set of words (config_schema.py writes them as JSON Schema enums).
CHOICES: dict[str, tuple[str, ...]] = {
    "padding": PADDING_CHOICES,
    "quantization": QUANTIZATION_CHOICES,
    "lr_scheduler_type": SCHEDULER_CHOICES,
}
# The list fields whose every item is one of a fixed set of words (JSON Schema: an enum on `items`).
LIST_CHOICES: dict[str, tuple[str, ...]] = {"report_to": REPORT_TO_CHOICES}


@dataclass(frozen=True)
class Bounds:
    """The range a numeric field must lie in (None: unbounded on that side); null values are not checked."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False

    def holds(self, value: float) -> bool:
        low = self.minimum is None or (
            value > self.minimum if self.exclusive_minimum else value >= self.minimum
        )
        high = self.maximum is None or (
            value < self.maximum if self.exclusive_maximum else value <= self.maximum
        )
        return low and high

    def describe(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            if self.exclusive_minimum or self.exclusive_maximum:
                left = "(" if self.exclusive_minimum else "["
                right = ")" if self.exclusive_maximum else "]"
                return f"in {left}{self.minimum:g}, {self.maximum:g}{right}"
            return f"from {self.minimum:g} to {self.maximum:g}"
        if self.minimum == 0 and self.exclusive_minimum:
            return "positive"
        if self.minimum is not None:
            return f"{'above' if self.exclusive_minimum else 'at least'} {self.minimum:g}"
        return f"{'below' if self.exclusive_maximum else 'at most'} {self.maximum:g}"


_POSITIVE = Bounds(minimum=0, exclusive_minimum=True)
_UNIT_INTERVAL = Bounds(minimum=0, maximum=1, exclusive_maximum=True)
# Ranges checked field by field; run.yaml's JSON Schema (config_schema.py) carries them to the extension, whose
# field list a test checks against it. `max_steps` (-1 or positive) and `num_train_epochs` (positive unless
# max_steps is set) are checked in `validate` with the other fields they depend on.
FIELD_BOUNDS: dict[str, Bounds] = {
    "max_length": Bounds(minimum=16),
    "per_device_train_batch_size": _POSITIVE,
    "per_device_eval_batch_size": _POSITIVE,
    "gradient_accumulation_steps": _POSITIVE,
    "lora_r": _POSITIVE,
    "lora_alpha": _POSITIVE,
    "eval_steps": _POSITIVE,
    "save_steps": _POSITIVE,
    "logging_steps": _POSITIVE,
    "learning_rate": _POSITIVE,
    "retrieval_k": Bounds(minimum=1, maximum=20),
    "retrieval_context_tokens": Bounds(minimum=64),
    "warmup_ratio": _UNIT_INTERVAL,
    "lora_dropout": _UNIT_INTERVAL,
    "weight_decay": Bounds(minimum=0),
    "save_total_limit": _POSITIVE,
    "early_stopping_patience": Bounds(minimum=0),
}


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
    # TensorBoard logs go to <output_dir>/tensorboard; MLflow to MLFLOW_TRACKING_URI or <output_dir>/mlruns.
    report_to: list[str] = field(default_factory=lambda: ["none"])

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

    for name, choices in CHOICES.items():
        check(getattr(config, name) in choices, f"{name} must be one of {', '.join(choices)}")
    check(config.max_steps == -1 or config.max_steps > 0, "max_steps must be -1 (off) or positive")
    check(config.max_steps > 0 or config.num_train_epochs > 0, "num_train_epochs must be positive")
    for name, bounds in FIELD_BOUNDS.items():
        value = getattr(config, name)
        check(value is None or bounds.holds(value), f"{name} must be {bounds.describe()}")
    check(bool(config.lora_target_modules), "lora_target_modules must name at least one module")
    for name, choices in LIST_CHOICES.items():
        wrong = [item for item in getattr(config, name) if item not in choices]
        check(not wrong, f"{name}: {', '.join(wrong)} not one of {', '.join(choices)}")
        check(len(set(getattr(config, name))) == len(getattr(config, name)), f"{name} names an item twice")
    check(
        "none" not in config.report_to or config.report_to == ["none"],
        "report_to: none cannot be combined with a tracker; list the trackers, or none alone",
    )
    # The best checkpoint is only known at an evaluation, so saves must fall on evaluation steps.
    check(
        config.eval_steps <= 0 or config.save_steps % config.eval_steps == 0,
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
