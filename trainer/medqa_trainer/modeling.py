"""Loading the base model (QLoRA on CUDA, plain fp32 LoRA on CPU) and attaching the LoRA adapter."""

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


def plan_device(config: TrainConfig) -> DevicePlan:
    cuda = torch.cuda.is_available()
    notices: list[tuple[str, str, str]] = []
    wants_nf4 = config.quantization in ("auto", "nf4")
    qlora = False
    if wants_nf4 and not cuda:
        notices.append(
            (
                "warning" if config.quantization == "nf4" else "info",
                "qlora-needs-cuda",
                "QLoRA (4-bit NF4) needs CUDA and bitsandbytes; no CUDA device here, so this run trains "
                "plain LoRA on a full-precision (fp32) base model.",
            )
        )
    elif wants_nf4 and importlib.util.find_spec("bitsandbytes") is None:
        if config.quantization == "nf4":
            raise RuntimeError(
                "quantization: nf4 needs the bitsandbytes package: "
                "pip install -r trainer/requirements-cuda.txt (or set quantization: none)"
            )
        notices.append(
            (
                "warning",
                "qlora-needs-bitsandbytes",
                "bitsandbytes is not installed, so QLoRA is off and the base model is loaded in bf16/fp32; "
                "pip install -r trainer/requirements-cuda.txt to enable it.",
            )
        )
    else:
        qlora = wants_nf4
    bf16 = bool(cuda and torch.cuda.is_bf16_supported())
    device = f"cuda:{torch.cuda.get_device_name(0)}" if cuda else "cpu"
    return DevicePlan(device=device, cuda=cuda, qlora=qlora, bf16=bf16, notices=notices)


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
        from peft import prepare_model_for_kbit_training
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if plan.bf16 else torch.float16,
        )
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
        kwargs["dtype"] = torch.bfloat16 if plan.bf16 else torch.float16
    else:
        # bf16 is unusably slow on CPUs without AMX, so CPU training is fp32.
        kwargs["dtype"] = torch.bfloat16 if plan.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, **kwargs)
    if plan.qlora:
        model = prepare_model_for_kbit_training(  # type: ignore[no-untyped-call]
            model, use_gradient_checkpointing=config.gradient_checkpointing
        )
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
