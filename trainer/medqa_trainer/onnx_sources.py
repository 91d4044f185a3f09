"""What `export-onnx` reads: the base model (folder, catalogue name or hub id) and an optional LoRA adapter.

Every check here runs before any weights are loaded, and every message names the file it is about, because the
extension shows these messages to a person who has to fix that file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from medqa_trainer.catalog import looks_like_path, prepare_model_reference

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


class ExportInputError(ValueError):
    """Bad input the user can fix (a missing file, a mismatched adapter, a wrong --out)."""


@dataclass(frozen=True)
class ModelSource:
    given: str  # as typed: a folder, a catalogue name or a hub id
    resolved: str  # the folder (or hub id) actually loaded
    local: bool


@dataclass(frozen=True)
class AdapterSource:
    folder: Path
    config: dict[str, Any]
    weights: Path
    step: int | None
    # How the base was held while the adapter trained (its run's config.yaml): "nf4" for QLoRA; None if unknown.
    trained_base: str | None = None


def resolve_model(given: str) -> ModelSource:
    if looks_like_path(given) and not Path(given).expanduser().is_dir():
        raise ExportInputError(
            f"model folder {given} does not exist (give a local folder, a catalogue name or a hub id)"
        )
    try:
        resolved = prepare_model_reference(given)
    except (FileNotFoundError, ConnectionError) as error:
        raise ExportInputError(str(error)) from error
    local = Path(resolved).expanduser().is_dir()
    if local:
        resolved = str(Path(resolved).expanduser().resolve())
        if not (Path(resolved) / "config.json").is_file():
            raise ExportInputError(
                f"{Path(resolved) / 'config.json'} is missing: {given} is not a model folder"
            )
    return ModelSource(given=given, resolved=resolved, local=local)


def read_adapter(folder_arg: str) -> AdapterSource:
    folder = Path(folder_arg).expanduser().resolve()
    if not folder.is_dir():
        raise ExportInputError(f"adapter folder {folder} does not exist")
    config_path = folder / ADAPTER_CONFIG
    if not config_path.is_file():
        raise ExportInputError(f"{config_path} is missing: {folder} is not a LoRA adapter folder")
    try:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ExportInputError(f"{config_path} is not valid JSON: {error}") from error
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise ExportInputError(
            f"{config_path}: peft_type {config.get('peft_type')!r} is not LORA; only LoRA adapters merge"
        )
    weights = next((folder / name for name in ADAPTER_WEIGHTS if (folder / name).is_file()), None)
    if weights is None:
        raise ExportInputError(f"{folder / ADAPTER_WEIGHTS[0]} is missing: the adapter folder has no weights")
    from medqa_trainer.runfiles import trained_base_precision

    return AdapterSource(
        folder=folder,
        config=config,
        weights=weights,
        step=checkpoint_step(folder),
        trained_base=trained_base_precision(folder),
    )


def checkpoint_step(folder: Path) -> int | None:
    """The step of a `checkpoint-<step>` folder, else trainer_state.json's global_step, else None."""
    match = CHECKPOINT_NAME.match(folder.name)
    if match:
        return int(match.group(1))
    state = folder / "trainer_state.json"
    try:
        step = json.loads(state.read_text(encoding="utf-8")).get("global_step")
    except (OSError, ValueError):
        return None
    return int(step) if isinstance(step, int) else None


def _adapter_tensor_shapes(weights: Path) -> dict[str, tuple[int, ...]]:
    if weights.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(weights), framework="pt") as handle:  # type: ignore[no-untyped-call]
            return {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}  # noqa: SIM118
    state = torch.load(str(weights), map_location="cpu", weights_only=True)
    return {key: tuple(value.shape) for key, value in state.items()}


def check_adapter_fits(adapter: AdapterSource, model: Any, model_source: ModelSource) -> None:
    """Compares the adapter's LoRA shapes with the model's layers, so a mismatch is explained, not a size error."""
    modules = dict(model.named_modules())
    named_base = adapter.config.get("base_model_name_or_path")
    origin = f" (its {ADAPTER_CONFIG} names base model {named_base!r})" if named_base else ""
    for key, shape in _adapter_tensor_shapes(adapter.weights).items():
        match = re.match(r"^(?:base_model\.model\.)?(.*)\.(lora_[AB])(?:\.default)?\.weight$", key)
        if not match:
            continue
        path, kind = match.groups()
        module = modules.get(path)
        if module is None or not hasattr(module, "in_features"):
            raise ExportInputError(
                f"{adapter.weights} does not fit {model_source.given}: the model has no linear layer {path}"
                f"{origin}; the adapter was made for another base model"
            )
        expected, actual, what = (
            (module.in_features, shape[1], "inputs")
            if kind == "lora_A"
            else (module.out_features, shape[0], "outputs")
        )
        if expected != actual:
            raise ExportInputError(
                f"{adapter.weights} does not fit {model_source.given}: {path} has {actual} {what} in the adapter "
                f"but {expected} in the model{origin}; the adapter was made for another base model"
            )


def load_tokenizer(source: ModelSource) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(source.resolved, local_files_only=source.local)


def load_config(source: ModelSource) -> Any:
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(source.resolved, local_files_only=source.local)


def load_merged_model(source: ModelSource, adapter: AdapterSource | None, say: Any) -> Any:
    """fp32 on the CPU, eager attention (the graph then holds plain MatMul/Softmax that every runtime has).

    A QLoRA adapter learned on the 4-bit NF4 base: that base is loaded in NF4 and de-quantised to fp32, and the
    adapter is merged into those weights, so the export computes what was trained (NF4 base + adapter), not the
    adapter on weights it never saw."""
    from transformers import AutoModelForCausalLM

    from medqa_trainer.modeling import keep_training_layout, nf4_load_arguments

    weights: dict[str, Any] = {"dtype": torch.float32}
    nf4 = adapter is not None and adapter.trained_base == "nf4"
    if nf4:
        say(
            "the adapter was trained on a 4-bit NF4 base (QLoRA): loading that base and de-quantising it to fp32"
        )
        weights = nf4_load_arguments(torch.float32, cuda=False)
    model: Any = AutoModelForCausalLM.from_pretrained(
        source.resolved, local_files_only=source.local, attn_implementation="eager", **weights
    )
    if nf4:
        keep_training_layout(model)  # bitsandbytes' inference layout de-quantises wrongly (modeling.py)
        model = model.dequantize(dtype=torch.float32)
    model.eval()
    if adapter is None:
        return model
    check_adapter_fits(adapter, model, source)
    say(f"merging the LoRA adapter {adapter.folder} into the base model")
    from peft import PeftModel

    peft_model = PeftModel.from_pretrained(model, str(adapter.folder), is_trainable=False)
    merged: Any = peft_model.merge_and_unload()
    merged.eval()
    return merged
