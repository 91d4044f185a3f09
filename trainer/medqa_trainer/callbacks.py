"""Trainer hooks: protocol events + progress lines, token throughput, and cancellation on SIGTERM/SIGINT."""

from __future__ import annotations

import math
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from transformers import Trainer, TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from medqa_trainer.data import real_token_count
from medqa_trainer.events import EventWriter


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _sum_over_processes(value: float) -> float:
    if not _distributed():
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    torch.distributed.all_reduce(tensor)
    return float(tensor.item())


class MedQATrainer(Trainer):
    """Counts non-padding training tokens and the time spent training (batches + steps), so throughput
    leaves out evaluation and checkpoint time."""

    real_tokens: int = 0
    padded_tokens: int = 0  # positions computed, padding included (for the benchmark's padding share)
    train_seconds: float = 0.0

    def get_batch_samples(self, epoch_iterator: Any, num_batches: int, device: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().get_batch_samples(epoch_iterator, num_batches, device)
        finally:
            self.train_seconds += time.perf_counter() - started

    def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
        self.real_tokens += real_token_count(inputs)
        self.padded_tokens += int(inputs["input_ids"].numel())
        return super().training_step(model, inputs, num_items_in_batch)


class StepTimer(TrainerCallback):
    """Adds the time from the start to the end of each optimizer step to the trainer's training time."""

    def __init__(self, trainer: MedQATrainer) -> None:
        self.trainer = trainer
        self._began = 0.0

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self._began = time.perf_counter()

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self.trainer.train_seconds += time.perf_counter() - self._began


class EventCallback(TrainerCallback):
    """step / eval / checkpoint events (rank 0 writes; the writer of other ranks is disabled) and one
    human progress line per log on stdout."""

    def __init__(self, trainer: MedQATrainer, writer: EventWriter, is_main: bool) -> None:
        self.trainer = trainer
        self.writer = writer
        self.is_main = is_main
        self._tokens_at_last_log = 0.0
        self._seconds_at_last_log = 0.0
        self.last_eval_loss: dict[int, float] = {}
        self.tokens_per_second_history: list[float] = []
        # (step, what) once a loss is NaN or infinite: the run stops there and ends as failed.
        self.diverged: tuple[int, str] | None = None
        self._validation_batches = 0
        self._validation_reported_at = 0.0
        self._phase: str | None = None

    def mean_tokens_per_second(self) -> float | None:
        """Non-padding training tokens per second up to the last logged step (summed over processes, as the step
        events); a resumed run counts from its resume. run_finished reports it: the run's measured speed."""
        seconds = self._seconds_at_last_log
        return round(self._tokens_at_last_log / seconds, 1) if seconds > 0 else None

    def phase(self, name: str, step: int | None) -> None:
        """What the run is doing now (training, validating, saving), once per change: the views show it with a
        time estimate instead of a step number that stands still through a long validation or save."""
        if name != self._phase:
            self._phase = name
            self.writer.emit("phase", phase=name, step=step)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self.phase("training", state.global_step)

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self.phase("training", state.global_step)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        # transformers logs only every logging_steps, not at the last step: without this the final stretch of a
        # run (all of a run shorter than logging_steps) would have no loss point.
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_log = True
        # Validation comes before the save; on_evaluate announces the save then.
        if control.should_save and not control.should_evaluate:
            self.phase("saving", state.global_step)

    def _diverge(self, state: TrainerState, control: TrainerControl, what: str, value: float) -> None:
        self.diverged = (state.global_step, f"{what} became {value}")
        # Stop without saving: the weights that produced a NaN must not become a checkpoint or the adapter.
        control.should_training_stop = True
        control.should_save = False
        control.should_evaluate = False
        self._say(f"step {state.global_step}: {what} is {value}; training diverged, stopping without saving")

    def on_prediction_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        # A validation pass over a few hundred examples takes minutes on a CPU: say how far it is, at most once a
        # second (and for its last batch), so the views show "validating n/N" instead of a frozen step.
        dataloader = kw.get("eval_dataloader")
        total = len(dataloader) if dataloader is not None and hasattr(dataloader, "__len__") else 0
        self.phase("validating", state.global_step)
        self._validation_batches += 1
        now = time.monotonic()
        if self._validation_batches == total or now - self._validation_reported_at >= 1.0:
            self._validation_reported_at = now
            self.writer.emit(
                "validation_progress",
                step=state.global_step,
                done=self._validation_batches,
                total=max(total, self._validation_batches),
            )

    def _say(self, text: str) -> None:
        if self.is_main:
            print(text, flush=True)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kw: Any,
    ) -> None:
        if not logs or "loss" not in logs:
            return
        if not math.isfinite(float(logs["loss"])):
            self._diverge(state, control, "the training loss", float(logs["loss"]))
            return
        # Every process reaches this point for the same step, so the all-reduce is safe.
        tokens = _sum_over_processes(float(self.trainer.real_tokens))
        seconds = self.trainer.train_seconds
        d_tokens, d_seconds = tokens - self._tokens_at_last_log, seconds - self._seconds_at_last_log
        self._tokens_at_last_log, self._seconds_at_last_log = tokens, seconds
        tps = d_tokens / d_seconds if d_seconds > 0 else None
        if tps is not None:
            self.tokens_per_second_history.append(tps)
        total = state.max_steps if state.max_steps and state.max_steps > 0 else None
        self.writer.emit(
            "step",
            step=state.global_step,
            total_steps=total,
            epoch=round(float(state.epoch or 0.0), 4),
            loss=float(logs["loss"]),
            learning_rate=float(logs.get("learning_rate", 0.0)),
            grad_norm=float(logs["grad_norm"]) if logs.get("grad_norm") is not None else None,
            tokens_per_second=round(tps, 1) if tps is not None else None,
        )
        rate = f" tok/s {tps:,.0f}" if tps is not None else ""
        self._say(
            f"step {state.global_step}/{total or '?'} loss {logs['loss']:.4f} "
            f"lr {logs.get('learning_rate', 0.0):.2e}{rate}"
        )

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        **kw: Any,
    ) -> None:
        self._validation_batches = 0
        if not metrics or "eval_loss" not in metrics:
            return
        loss = float(metrics["eval_loss"])
        if not math.isfinite(loss):
            self._diverge(state, control, "the validation loss", loss)
            return
        self.last_eval_loss[state.global_step] = loss
        perplexity = math.exp(loss) if loss < 700 else math.inf
        self.writer.emit(
            "eval",
            step=state.global_step,
            epoch=round(float(state.epoch or 0.0), 4),
            eval_loss=loss,
            perplexity=perplexity,
        )
        self._say(f"eval at step {state.global_step}: loss {loss:.4f} perplexity {perplexity:.2f}")
        if control.should_save:
            self.phase("saving", state.global_step)

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        path = str(Path(args.output_dir or ".") / f"checkpoint-{state.global_step}")
        is_best = state.best_model_checkpoint is not None and Path(state.best_model_checkpoint) == Path(path)
        self.writer.emit(
            "checkpoint",
            step=state.global_step,
            path=path,
            eval_loss=self.last_eval_loss.get(state.global_step),
            is_best=is_best,
        )
        self._say(f"checkpoint saved: {path}{' (best so far)' if is_best else ''}")


class CancelCallback(TrainerCallback):
    """SIGTERM/SIGINT ask for a graceful stop: at the end of the current optimizer step, save a checkpoint and
    stop. A second signal falls back to the default action (the process ends at once)."""

    def __init__(self) -> None:
        self.requested = False
        self.cancelled_at: int | None = None
        self._previous: dict[int, Any] = {}
        # Set by train(): the step's end says "saving" (a CPU save can take a while; the extension waits for it).
        self.writer: EventWriter | None = None

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        print(
            f"received {signal.Signals(signum).name}: saving a checkpoint after this step, then stopping",
            file=sys.stderr,
            flush=True,
        )
        signal.signal(signum, signal.SIG_DFL)

    def _agreed(self) -> bool:
        # All processes must stop at the same step, or the others wait forever in the next collective.
        return _sum_over_processes(1.0 if self.requested else 0.0) > 0

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        if self._agreed():
            if self.cancelled_at is None and self.writer is not None:
                self.writer.emit(
                    "notice",
                    level="info",
                    code="saving-checkpoint",
                    message=f"cancel requested: saving checkpoint-{state.global_step} before stopping",
                )
            if self.cancelled_at is None and self.writer is not None:
                self.writer.emit("phase", phase="saving", step=state.global_step)
            self.requested = True
            self.cancelled_at = state.global_step
            control.should_save = True
            control.should_training_stop = True
            control.should_evaluate = False
            # Log this step too: the cancelled run's last loss is then its own, not that of the last logging step.
            control.should_log = True
