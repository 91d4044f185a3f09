"""`train`: LoRA/QLoRA fine-tuning of a causal LM on the chat JSONL export (contract #2).

    python -m medqa_trainer train --config run.yaml [--resume latest|PATH] [--events PATH]
    accelerate launch --num_processes 2 -m medqa_trainer train --config run.yaml   # DDP; rank 0 writes

Events go to <output_dir>/events.jsonl (or --events); stdout/stderr carry progress lines for people.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medqa_trainer.config import ConfigError, TrainConfig, load_config, save_config
from medqa_trainer.events import EventWriter
from medqa_trainer.runfiles import (
    checkpoints,
    live_trainer_pid,
    remove_pid,
    resolve_resume,
    write_pid,
    write_traceback,
)

EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", required=True, type=Path, help="run.yaml (flat mapping; see trainer/README.md)"
    )
    parser.add_argument(
        "--resume", help="'latest' (newest checkpoint in output_dir) or a checkpoint folder to continue from"
    )
    parser.add_argument("--events", type=Path, help="events file (default: <output_dir>/events.jsonl)")


@dataclass
class Launch:
    rank: int
    world_size: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @staticmethod
    def from_env() -> Launch:
        return Launch(
            rank=int(os.environ.get("RANK", "0")), world_size=int(os.environ.get("WORLD_SIZE", "1"))
        )


def run(args: argparse.Namespace) -> int:
    launch = Launch.from_env()
    try:
        config = load_config(args.config)
        output_dir = Path(config.output_dir)
        resume = resolve_resume(args.resume, output_dir)
        if launch.is_main:
            preflight(output_dir, resume)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    output_dir.mkdir(parents=True, exist_ok=True)
    events_path = args.events or output_dir / "events.jsonl"
    from medqa_trainer.callbacks import CancelCallback  # imports torch: after the cheap checks

    cancel = CancelCallback()
    cancel.install()
    with EventWriter(events_path, enabled=launch.is_main) as writer:
        if launch.is_main:
            write_pid(output_dir)
        try:
            return train(config, resume, writer, cancel, launch)
        except Exception as error:
            path = write_traceback(output_dir, error) if launch.is_main else None
            message = f"{type(error).__name__}: {error}"
            writer.emit("run_failed", error=message, traceback_path=str(path) if path else None)
            print(f"training failed: {message}" + (f" (traceback: {path})" if path else ""), file=sys.stderr)
            return 1
        finally:
            cancel.uninstall()
            if launch.is_main:
                remove_pid(output_dir)


def preflight(output_dir: Path, resume: Path | None) -> None:
    """Refuse what would lose work: two trainers in one folder, or a fresh run over existing checkpoints."""
    pid = live_trainer_pid(output_dir)
    if pid is not None:
        raise ConfigError(
            f"another trainer (PID {pid}) is running in {output_dir}; stop it or pick another output_dir"
        )
    if resume is None and checkpoints(output_dir):
        raise ConfigError(
            f"{output_dir} already has checkpoints; pass --resume latest to continue that run, "
            "or choose a new output_dir"
        )


def total_steps(config: TrainConfig, n_train: int, world_size: int) -> int:
    """Optimizer steps the run will take (the same arithmetic as transformers.Trainer)."""
    if config.max_steps > 0:
        return config.max_steps
    batches = math.ceil(n_train / (config.per_device_train_batch_size * world_size))
    per_epoch = max(
        batches // config.gradient_accumulation_steps + int(batches % config.gradient_accumulation_steps > 0),
        1,
    )
    return math.ceil(config.num_train_epochs * per_epoch)


def train(config: TrainConfig, resume: Path | None, writer: EventWriter, cancel: Any, launch: Launch) -> int:
    from transformers import EarlyStoppingCallback, PrinterCallback, set_seed
    from transformers.utils import logging as hf_logging

    from medqa_trainer.callbacks import EventCallback, MedQATrainer, StepTimer
    from medqa_trainer.data import ChatCollator, ChatDataset
    from medqa_trainer.modeling import count_parameters, load_model, load_tokenizer, plan_device
    from medqa_trainer.prepare import prepare_data, training_arguments
    from medqa_trainer.runfiles import deepspeed_plan, environment

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # weight loading/saving bars would drown the progress lines
    output_dir = Path(config.output_dir)
    say = print if launch.is_main else (lambda *a, **k: None)
    plan = plan_device(config)
    for level, code, message in plan.notices:
        writer.notice(code, message, level)
        say(f"notice: {message}")
    set_seed(config.seed)
    tokenizer = load_tokenizer(config.model_name_or_path)
    data = prepare_data(config, tokenizer)  # fills in config.max_length when the preset leaves it to the data
    for code, message in data.notices:
        writer.notice(code, message)
        say(f"notice: {message}")
    deepspeed, skipped = deepspeed_plan(config.deepspeed, plan.cuda, launch.world_size)
    if skipped:
        writer.notice("deepspeed-skipped", skipped)
        say(f"notice: {skipped}")
    env = environment(plan.device, plan.qlora, launch.world_size)
    if launch.is_main:
        run_info = {
            "environment": env,
            "dataset_manifest_hash": data.manifest_hash,
            "train_examples": len(data.train),
            "validation_examples": len(data.validation) if data.validation else 0,
        }
        save_config(config, output_dir / "config.yaml", run_info)
    steps = total_steps(config, len(data.train), launch.world_size)
    has_eval = data.validation is not None
    if has_eval and config.eval_steps > steps:
        writer.notice(
            "no-validation-before-end",
            f"eval_steps ({config.eval_steps}) is more than the run's {steps} steps, so no validation (and no "
            "early stopping or best checkpoint) will happen; lower eval_steps and save_steps.",
            "warning",
        )
    model = load_model(config, plan)
    trainable, total = count_parameters(model)
    say(
        f"model {config.model_name_or_path}: {trainable:,} trainable of {total:,} parameters on {plan.device}"
    )
    collator = ChatCollator(
        pad_token_id=int(tokenizer.pad_token_id),
        padding=config.padding,
        max_length=config.max_length,
        packing=config.packing,
    )
    trainer = MedQATrainer(
        model=model,
        args=training_arguments(config, has_eval, plan, deepspeed),
        train_dataset=ChatDataset(data.train),
        eval_dataset=ChatDataset(data.validation) if data.validation is not None else None,
        data_collator=collator,
        processing_class=tokenizer,
    )
    trainer.remove_callback(PrinterCallback)  # it prints raw log dicts; EventCallback prints readable lines
    events = EventCallback(trainer, writer, launch.is_main)
    trainer.add_callback(StepTimer(trainer))
    trainer.add_callback(events)
    trainer.add_callback(cancel)
    early: EarlyStoppingCallback | None = None
    if has_eval and config.early_stopping_patience:
        early = EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)
        trainer.add_callback(early)
    writer.emit(
        "run_started",
        run_id=output_dir.name,
        output_dir=str(output_dir),
        config=config.to_dict(),
        environment=env,
        total_steps=steps,
        resumed_from=str(resume) if resume else None,
    )
    say(
        f"training {len(data.train)} examples for {steps} steps"
        + (f", resuming from {resume}" if resume else "")
    )
    if cancel.requested:
        writer.emit("run_cancelled", step=0, checkpoint=None)
        return 0
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    state = trainer.state
    if cancel.cancelled_at is not None:
        checkpoint = output_dir / f"checkpoint-{state.global_step}"
        writer.emit(
            "run_cancelled",
            step=state.global_step,
            checkpoint=str(checkpoint) if checkpoint.is_dir() else None,
        )
        say(f"cancelled at step {state.global_step}; resume with --resume latest")
        return 0
    adapter = output_dir / "adapter"
    trainer.save_model(
        str(adapter)
    )  # the best checkpoint's weights when validation ran (load_best_model_at_end)
    stopped_early = bool(early and early.early_stopping_patience_counter >= early.early_stopping_patience)
    best = state.best_model_checkpoint
    writer.emit(
        "run_finished",
        step=state.global_step,
        best_checkpoint=str(best) if best else None,
        best_eval_loss=float(state.best_metric) if state.best_metric is not None else None,
        adapter_path=str(adapter),
        stopped_early=stopped_early,
    )
    say(
        f"finished at step {state.global_step}"
        + (" (early stopping)" if stopped_early else "")
        + f"; adapter saved to {adapter}"
        + (
            f"; best checkpoint {best} (eval loss {state.best_metric:.4f})"
            if best and state.best_metric
            else ""
        )
    )
    return 0
