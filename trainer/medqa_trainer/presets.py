"""Named base values for `TrainConfig` (`preset:` in run.yaml). Every other key of run.yaml overrides one field.

`reference-recipe` reproduces the published recipe exactly (fixed 128-token windows padded to full length,
micro-batch 2). `recommended` keeps its optimisation hyper-parameters but spends the compute on real tokens:
a window chosen from the data's length distribution, per-batch (`longest`) padding, length-grouped batches and
micro-batch 4 x accumulation 4 (the same 16 sequences per optimizer step; logits of 4 rows of up to
1024 tokens over a 151k vocabulary stay a few GB). See trainer/README.md for the table.
"""

from __future__ import annotations

from typing import Any

# `max_length: null` means "choose from the training data" (see data.choose_max_length): the percentile of
# prompt+answer token lengths, rounded up to a multiple of MAX_LENGTH_MULTIPLE and capped at MAX_LENGTH_CAP.
MAX_LENGTH_PERCENTILE = 98.0
MAX_LENGTH_MULTIPLE = 64
MAX_LENGTH_CAP = 1024

_COMMON: dict[str, Any] = {
    "num_train_epochs": 3.0,
    "max_steps": -1,
    "learning_rate": 2e-4,
    "lr_scheduler_type": "cosine",
    "warmup_ratio": 0.05,
    "weight_decay": 0.0,
    "lora_r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "eval_steps": 500,
    "save_steps": 500,
    "logging_steps": 10,
    "save_total_limit": 3,
    "early_stopping_patience": 3,
    # A seeded, stratified validation sample: a full split takes minutes at every eval_steps on a CPU.
    "max_validation_examples": 300,
    "seed": 42,
    "system_prompt": None,
    "gradient_checkpointing": False,
}

PRESETS: dict[str, dict[str, Any]] = {
    "reference-recipe": {
        **_COMMON,
        "max_length": 128,
        "padding": "max_length",
        "group_by_length": False,
        "packing": False,
        "per_device_train_batch_size": 2,
        "per_device_eval_batch_size": 2,
        "gradient_accumulation_steps": 8,
        "lora_target_modules": ["q_proj", "v_proj"],
        "quantization": "nf4",
        "deepspeed": "zero2-offload",
    },
    "recommended": {
        **_COMMON,
        "max_length": None,
        "padding": "longest",
        "group_by_length": True,
        "packing": False,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 8,
        "gradient_accumulation_steps": 4,
        "lora_target_modules": ["q_proj", "v_proj"],
        "quantization": "auto",
        "deepspeed": None,
    },
}

# Small models on a CPU (e.g. the catalogue's SmolLM2-135M): within an hour a 135 M model sees ~1,000 examples,
# so it needs a larger step size and more capacity than the 0.6 B GPU recipe to move at all. Measured in
# examples/medquad-smollm2 (see its README): lr 1e-3 with r=16/alpha 32 on every linear layer, one epoch,
# windows cut at 512 tokens (MedQuAD's p90 prompt+answer length is about that with this tokenizer).
PRESETS["cpu-small"] = {
    **PRESETS["recommended"],
    "num_train_epochs": 1.0,
    "learning_rate": 1e-3,
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_target_modules": ["all-linear"],
    "max_length": 512,
    "eval_steps": 20,
    "save_steps": 20,
    "logging_steps": 2,
    "quantization": "none",
}

DEFAULT_PRESET = "recommended"

# A run of at most this many optimizer steps logs every step, whatever its logging_steps: with the presets'
# logging_steps of 10 a short run (the demo's 6 steps) would log nothing, leaving its charts empty and its progress
# at "step 0" until it ends.
SHORT_RUN_STEPS = 100


def effective_logging_steps(logging_steps: int, total_steps: int) -> int:
    """The logging interval a run really uses: every step for a short run, else the configured one."""
    return 1 if total_steps <= SHORT_RUN_STEPS else logging_steps


def validation_plan(eval_steps: int, total_steps: int) -> list[int]:
    """The steps at which a run with a validation set validates: every multiple of eval_steps, and the last step
    (transformers validates at the end of a step-based run when the last step is not a multiple)."""
    steps = list(range(eval_steps, total_steps + 1, eval_steps)) if eval_steps > 0 else []
    if total_steps > 0 and (not steps or steps[-1] != total_steps):
        steps.append(total_steps)
    return steps
