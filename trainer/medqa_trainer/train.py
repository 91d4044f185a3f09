"""`train`: LoRA/QLoRA fine-tuning of a causal LM on the chat JSONL export (contract #2).

    python -m medqa_trainer train --config run.yaml [--resume latest|PATH] [--events PATH]
    torchrun --standalone --nproc_per_node 2 -m medqa_trainer train --config run.yaml   # DDP; rank 0 writes

Events go to <output_dir>/events.jsonl (or --events); stdout/stderr carry progress lines for people.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medqa_trainer.config import ConfigError, TrainConfig, load_config
from medqa_trainer.events import EventWriter
from medqa_trainer.runfiles import (
    checkpoints,
    live_trainer_pid,
    remove_pid,
    resolve_resume,
    write_pid,
    write_traceback,
)
from medqa_trainer.tracking import TrackingPlan, plan_tracking, tracking_environment

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
        tracking = plan_tracking(config)
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
            with tracking_environment(tracking):
                return train(config, resume, writer, cancel, launch, tracking)
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


def _diverged(diverged: tuple[int, str], output_dir: Path, writer: EventWriter, say: Any) -> int:
    """A NaN/inf loss ends the run as failed, naming the last checkpoint saved before it (to resume from with a
    lower learning rate)."""
    step, what = diverged
    good = [path for path in checkpoints(output_dir) if int(path.name.split("-")[1]) < step]
    last_good = str(good[-1]) if good else None
    message = f"diverged at step {step}: {what}. " + (
        f"Last good checkpoint: {last_good}; resume from it with a lower learning_rate."
        if last_good
        else "No checkpoint was saved before it; start again with a lower learning_rate."
    )
    writer.emit("run_failed", error=message, traceback_path=None)
    say(f"training failed: {message}")
    return 1


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


def train(
    config: TrainConfig,
    resume: Path | None,
    writer: EventWriter,
    cancel: Any,
    launch: Launch,
    tracking: TrackingPlan | None = None,
) -> int:
    from medqa_trainer.session import build_session

    say = print if launch.is_main else (lambda *a, **k: None)
    session = build_session(
        config, writer, launch.world_size, say, save_run_config=launch.is_main, tracking=tracking
    )
    trainer, early = session.trainer, session.early
    output_dir = Path(config.output_dir)
    trainer.add_callback(cancel)
    cancel.writer = writer
    writer.emit(
        "run_started",
        run_id=output_dir.name,
        output_dir=str(output_dir),
        config=config.to_dict(),
        environment=session.environment,
        total_steps=session.total_steps,
        resumed_from=str(resume) if resume else None,
    )
    say(
        f"training {len(session.data.train)} examples for {session.total_steps} steps"
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
    if session.events.diverged is not None:
        return _diverged(session.events.diverged, output_dir, writer, say)
    adapter = output_dir / "adapter"
    session.events.phase("saving", state.global_step)
    # With validation this holds the best checkpoint's weights (load_best_model_at_end).
    trainer.save_model(str(adapter))
    stopped_early = bool(early and early.early_stopping_patience_counter >= early.early_stopping_patience)
    best = state.best_model_checkpoint
    speed = session.events.mean_tokens_per_second()
    writer.emit(
        "run_finished",
        step=state.global_step,
        best_checkpoint=str(best) if best else None,
        best_eval_loss=float(state.best_metric) if state.best_metric is not None else None,
        adapter_path=str(adapter),
        stopped_early=stopped_early,
        tokens_per_second=speed,
    )
    say(
        f"finished at step {state.global_step}"
        + (" (early stopping)" if stopped_early else "")
        + f"; {session.plan.base_precision} base"
        + (f", {speed:,.0f} tokens/s" if speed else "")
        + f"; adapter saved to {adapter}"
        + (
            f"; best checkpoint {best} (eval loss {state.best_metric:.4f})"
            if best and state.best_metric
            else ""
        )
    )
    return 0
