"""Loading the base model (4-bit NF4 for QLoRA, else fp32/bf16) and attaching the LoRA adapter."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from medqa_trainer.config import TrainConfig


@dataclass
class DevicePlan:
    device: str  # human-readable: "cpu" or "cuda:<name>"
    cuda: bool
    qlora: bool
    bf16: bool
    notices: list[tuple[str, str, str]]  # (level, code, message)

    @property
    def base_precision(self) -> str:
        """How the frozen base weights are held: `nf4` (QLoRA), `bf16` or `fp32` (run_started's environment)."""
        return "nf4" if self.qlora else ("bf16" if self.bf16 else "fp32")


FP32_ON_CPU = (
    "quantization: auto on a CPU trains LoRA on a full-precision (fp32) base model; set quantization: nf4 to "
    "train QLoRA on a 4-bit NF4 base on this CPU (bitsandbytes' CPU backend; the README's QLoRA on a CPU "
    "compares the two)."
)
QLORA_ON_CPU = (
    "QLoRA on a CPU: the base model is loaded in 4-bit NF4 by bitsandbytes' CPU backend. For a model as small as "
    "SmolLM2-135M it saved no peak memory over fp32 LoRA in bench/qlora_cpu.py (README, QLoRA on a CPU); "
    "quantization: none trains fp32 LoRA."
)


def plan_device(config: TrainConfig) -> DevicePlan:
    """QLoRA (a 4-bit NF4 base) for `nf4` anywhere and for `auto` on CUDA; `auto` on a CPU trains fp32 LoRA."""
    cuda = torch.cuda.is_available()
    notices: list[tuple[str, str, str]] = []
    has_bitsandbytes = importlib.util.find_spec("bitsandbytes") is not None
    if config.quantization == "nf4" and not has_bitsandbytes:
        raise RuntimeError(
            "quantization: nf4 needs the bitsandbytes package: "
            "pip install -r trainer/requirements.txt (or set quantization: none)"
        )
    qlora = config.quantization == "nf4" or (config.quantization == "auto" and cuda and has_bitsandbytes)
    if config.quantization == "auto" and not cuda:
        notices.append(("info", "fp32-on-cpu", FP32_ON_CPU))
    elif config.quantization == "auto" and not has_bitsandbytes:
        notices.append(
            (
                "warning",
                "qlora-needs-bitsandbytes",
                "bitsandbytes is not installed, so QLoRA is off and the base model is loaded in bf16/fp32; "
                "pip install -r trainer/requirements.txt to enable it.",
            )
        )
    if qlora and not cuda:
        notices.append(("info", "qlora-on-cpu", QLORA_ON_CPU))
    bf16 = bool(cuda and torch.cuda.is_bf16_supported())
    device = f"cuda:{torch.cuda.get_device_name(0)}" if cuda else "cpu"
    return DevicePlan(device=device, cuda=cuda, qlora=qlora, bf16=bf16, notices=notices)


def training_compute_dtype(plan: DevicePlan) -> torch.dtype:
    """bf16 (or fp16) on CUDA; fp32 on a CPU, where bf16 is emulated and slow without AMX."""
    return torch.bfloat16 if plan.bf16 else (torch.float16 if plan.cuda else torch.float32)


def nf4_load_arguments(compute_dtype: torch.dtype, cuda: bool) -> dict[str, Any]:
    """`from_pretrained` arguments for QLoRA's base: 4-bit NF4 with double quantisation, computing in
    `compute_dtype`, on the (local-rank) GPU or the CPU."""
    from transformers import BitsAndBytesConfig

    quantization = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
    )
    device_map: Any = {"": int(os.environ.get("LOCAL_RANK", "0"))} if cuda else "cpu"
    return {"quantization_config": quantization, "device_map": device_map, "dtype": compute_dtype}


def wants_nf4_base(quantization: str, adapter: str | None) -> bool:
    """Whether evaluation loads the base in 4-bit: `nf4`/`none` as asked; `auto` as the adapter was trained (its
    run's config.yaml), so a QLoRA adapter is evaluated on the 4-bit base it learned on."""
    from medqa_trainer.runfiles import trained_base_precision

    if quantization != "auto":
        return quantization == "nf4"
    return adapter is not None and trained_base_precision(Path(adapter).expanduser()) == "nf4"


def _linear_4bit_layers(model: Any) -> list[Any]:
    if importlib.util.find_spec("bitsandbytes") is None:
        return []  # nothing can be 4-bit without it
    from bitsandbytes.nn.modules import Linear4bit

    return [module for module in model.modules() if isinstance(module, Linear4bit)]


def base_precision_of(model: Any) -> str:
    """How a loaded model holds its linear weights: `nf4` when bitsandbytes 4-bit NF4 layers are in it, else the
    dtype of its parameters (`fp32`, `bf16`, `fp16`). Read from the model, so a run records what really ran."""
    if any(getattr(layer.weight, "quant_type", None) == "nf4" for layer in _linear_4bit_layers(model)):
        return "nf4"
    dtype = next(model.parameters()).dtype
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "fp32")


def keep_training_layout(model: Any) -> None:
    """On CPUs with AVX512-BF16, bitsandbytes repacks a 4-bit layer's weights for a faster inference kernel at its
    first no-grad forward in eval mode (a validation pass), and from then on the layer passes no gradient to its
    input, also in training mode, and de-quantises wrongly (bitsandbytes 0.50.2): training after the first
    validation would silently compute wrong LoRA gradients. Training keeps the layout that autograd supports."""
    for layer in _linear_4bit_layers(model):
        layer.support_avx512bf16_for_cpu = False


def is_local(model_name_or_path: str) -> bool:
    return Path(model_name_or_path).exists()


def load_tokenizer(model_name_or_path: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        model_name_or_path, local_files_only=is_local(model_name_or_path)
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # safe: padding is masked by position (data.ChatCollator)
    return tokenizer


def load_model(config: TrainConfig, plan: DevicePlan, model_path: str) -> Any:
    """The base model (from `model_path`, the resolved `model_name_or_path`) with a fresh LoRA adapter on top."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"local_files_only": is_local(model_path)}
    if plan.qlora:
        kwargs.update(nf4_load_arguments(training_compute_dtype(plan), plan.cuda))
    else:
        # bf16 is unusably slow on CPUs without AMX, so CPU training is fp32.
        kwargs["dtype"] = torch.bfloat16 if plan.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, **kwargs)
    if plan.qlora:
        from peft import prepare_model_for_kbit_training

        if base_precision_of(model) != "nf4":
            raise RuntimeError(f"quantization: nf4, but {model_path} loaded without 4-bit layers")
        if not plan.cuda:
            keep_training_layout(model)

        # Gradient checkpointing is the Trainer's (prepare.training_arguments), as for an fp32 base.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)  # type: ignore[no-untyped-call]
    model.config.use_cache = False  # the KV cache is useless in training and wastes memory
    targets: list[str] | str = config.lora_target_modules
    if targets == ["all-linear"]:
        targets = "all-linear"
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def count_parameters(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total
