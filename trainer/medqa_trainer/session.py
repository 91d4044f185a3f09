"""Everything a training run needs, built from a resolved config: data, model, Trainer and its callbacks.

Shared by the `train` command and bench/train_throughput.py, so the benchmark measures the real code path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from medqa_trainer.config import TrainConfig, save_config
from medqa_trainer.events import EventWriter
from medqa_trainer.presets import effective_logging_steps, validation_plan
from medqa_trainer.tracking import TrackingPlan, plan_tracking


@dataclass
class Session:
    trainer: Any  # callbacks.MedQATrainer
    events: Any  # callbacks.EventCallback
    early: Any  # transformers.EarlyStoppingCallback | None
    data: Any  # prepare.PreparedData
    plan: Any  # modeling.DevicePlan
    environment: dict[str, Any]
    total_steps: int


def total_steps(config: TrainConfig, n_train: int, world_size: int) -> int:
    """Optimizer steps the run will take (the same arithmetic as transformers.Trainer)."""
    if config.max_steps > 0:
        return config.max_steps
    batches = -(-n_train // (config.per_device_train_batch_size * world_size))
    accumulation = config.gradient_accumulation_steps
    per_epoch = max(batches // accumulation + int(batches % accumulation > 0), 1)
    return int(-(-(config.num_train_epochs * per_epoch) // 1))


def build_session(
    config: TrainConfig,
    writer: EventWriter,
    world_size: int,
    say: Callable[..., Any],
    save_run_config: bool,
    tracking: TrackingPlan | None = None,
) -> Session:
    from transformers import EarlyStoppingCallback, PrinterCallback, set_seed
    from transformers.utils import logging as hf_logging

    from medqa_trainer.callbacks import EventCallback, MedQATrainer, StepTimer
    from medqa_trainer.catalog import prepare_model_reference
    from medqa_trainer.data import ChatCollator, ChatDataset
    from medqa_trainer.modeling import count_parameters, load_model, load_tokenizer, plan_device
    from medqa_trainer.prepare import prepare_data, training_arguments
    from medqa_trainer.runfiles import deepspeed_plan, environment

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # weight-loading bars drown progress lines

    def notice(code: str, message: str, level: str = "info") -> None:
        writer.notice(code, message, level)
        say(f"notice: {message}")

    plan = plan_device(config)
    for level, code, message in plan.notices:
        notice(code, message, level)
    set_seed(config.seed)
    # A catalogue name stays in config.yaml (portable); the weights load from its installed folder.
    model_path = prepare_model_reference(config.model_name_or_path)
    writer.emit("phase", phase="tokenizing", step=None)
    tokenizer = load_tokenizer(model_path)
    data = prepare_data(config, tokenizer)  # fills in config.max_length when the preset leaves it to the data
    for code, message in data.notices:
        notice(code, message)
    for code, message in (tracking or plan_tracking(config)).notices:
        notice(code, message)
    deepspeed, skipped = deepspeed_plan(config.deepspeed, plan.cuda, world_size)
    if skipped:
        notice("deepspeed-skipped", skipped)
    env = environment(plan.device, plan.base_precision, world_size)
    previous = _previous_manifest_hash(Path(config.output_dir) / "config.yaml")
    if previous and data.manifest_hash and previous != data.manifest_hash:
        notice(
            "dataset-changed",
            "the dataset export changed since this run folder was written (manifest hash differs); "
            "a resumed run now trains on different data.",
            "warning",
        )
    if save_run_config:
        run_info = {
            "environment": env,
            "model_path": model_path,
            "dataset_manifest_hash": data.manifest_hash,
            "train_examples": len(data.train),
            "validation_examples": len(data.validation) if data.validation else 0,
        }
        save_config(config, Path(config.output_dir) / "config.yaml", run_info)
    steps = total_steps(config, len(data.train), world_size)
    has_eval = data.validation is not None
    if has_eval:
        for level, code, message in validation_notices(config, steps):
            notice(code, message, level)
    logging_steps = effective_logging_steps(config.logging_steps, steps)
    if logging_steps != config.logging_steps:
        notice(
            "logging-every-step",
            f"a short run ({steps} steps): logging every step instead of every {config.logging_steps}, so its "
            "curves and progress show from the first step.",
        )
    writer.emit("phase", phase="loading_model", step=None)
    model = load_model(config, plan, model_path)
    trainable, total = count_parameters(model)
    say(
        f"model {config.model_name_or_path}: {trainable:,} trainable of {total:,} parameters on {plan.device}"
    )
    trainer = MedQATrainer(
        model=model,
        args=training_arguments(replace(config, logging_steps=logging_steps), has_eval, plan, deepspeed),
        train_dataset=ChatDataset(data.train),
        eval_dataset=ChatDataset(data.validation) if data.validation is not None else None,
        data_collator=ChatCollator(
            pad_token_id=int(tokenizer.pad_token_id),
            padding=config.padding,
            max_length=config.max_length,
            packing=config.packing,
        ),
        processing_class=tokenizer,
    )
    trainer.remove_callback(PrinterCallback)  # it prints raw log dicts; EventCallback prints readable lines
    events = EventCallback(trainer, writer, is_main=writer.enabled)
    trainer.add_callback(StepTimer(trainer))
    trainer.add_callback(events)
    early = None
    if has_eval and config.early_stopping_patience:
        early = EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)
        trainer.add_callback(early)
    return Session(trainer, events, early, data, plan, env, steps)


def validation_notices(config: TrainConfig, steps: int) -> list[tuple[str, str, str]]:
    """(level, code, message) for validation plans a user should know of, saying what will really happen."""
    plan = validation_plan(config.eval_steps, steps)
    if config.eval_steps <= steps or not plan:
        return []
    stopping = " and early stopping cannot act" if config.early_stopping_patience else ""
    return [
        (
            "warning",
            "validation-only-at-end",
            f"eval_steps ({config.eval_steps}) is more than the run's {steps} steps, so validation runs once, at "
            f"the last step ({steps}): the validation curve has one point{stopping}, and the final adapter is "
            "the last step's weights. Lower eval_steps and save_steps for more.",
        )
    ]


def _previous_manifest_hash(path: Path) -> str | None:
    import yaml

    try:
        saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    info = saved.get("run_info") if isinstance(saved, dict) else None
    value = info.get("dataset_manifest_hash") if isinstance(info, dict) else None
    return value if isinstance(value, str) else None
