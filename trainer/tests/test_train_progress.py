"""What a run tells the person watching it (issue 22): a loss point at every step of a short run and at the step a
run ends or is cancelled, `phase` events, and notices that say what really happens. Tiny random Qwen3, CPU."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from medqa_trainer import presets
from medqa_trainer.cli import main
from medqa_trainer.events import TRAINING_PHASES, read_events
from medqa_trainer.presets import SHORT_RUN_STEPS, effective_logging_steps, validation_plan

FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"


def write_config(tmp_path: Path, model: Path, name: str, **overrides: Any) -> Path:
    values: dict[str, Any] = {
        "preset": "recommended",  # logging_steps 10, eval_steps 500: the demo's default run
        "model_name_or_path": str(model),
        "train_file": str(FIXTURE / "train.jsonl"),
        "validation_file": str(FIXTURE / "validation.jsonl"),
        "output_dir": str(tmp_path / name),
        "per_device_train_batch_size": 2,
        "per_device_eval_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "early_stopping_patience": 0,
    }
    values.update(overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def run_events(config: Path, validate_event: Any) -> list[dict[str, Any]]:
    output_dir = Path(yaml.safe_load(config.read_text())["output_dir"])
    events = read_events(output_dir / "events.jsonl")
    for event in events:
        validate_event(event)
    return events


def test_logging_and_validation_plans() -> None:
    assert effective_logging_steps(10, 6) == 1
    assert effective_logging_steps(10, SHORT_RUN_STEPS) == 1
    assert effective_logging_steps(10, SHORT_RUN_STEPS + 1) == 10
    assert validation_plan(500, 6) == [6]  # transformers validates at the end of a step-based run
    assert validation_plan(4, 12) == [4, 8, 12]
    assert validation_plan(5, 12) == [5, 10, 12]


@pytest.mark.slow
def test_a_short_run_logs_every_step_says_its_phases_and_its_notices_come_true(
    tmp_path: Path, tiny_model_dir: Path, validate_event: Any
) -> None:
    """The demo's default run: 6 steps with the preset's logging_steps 10 and eval_steps 500."""
    config = write_config(tmp_path, tiny_model_dir, "short", max_steps=6, save_steps=500)
    assert main(["train", "--config", str(config)]) == 0
    events = run_events(config, validate_event)
    kinds = [e["event"] for e in events]
    # Every step has its loss point, so the loss, learning-rate and tokens/s charts are not empty.
    assert [e["step"] for e in events if e["event"] == "step"] == [1, 2, 3, 4, 5, 6]
    codes = {e["code"]: e for e in events if e["event"] == "notice"}
    assert "logging-every-step" in codes and "every 10" in codes["logging-every-step"]["message"]
    # The notice says validation happens once, at the end, and it does (no claim of "no validation" beside an eval).
    assert "no-validation-before-end" not in codes
    notice = codes["validation-only-at-end"]["message"]
    assert "once, at the last step (6)" in notice
    assert [e["step"] for e in events if e["event"] == "eval"] == [6]
    # Phases: what the run is doing, in order, each time it changes.
    phases = [(e["phase"], e["step"]) for e in events if e["event"] == "phase"]
    assert phases[:2] == [("tokenizing", None), ("loading_model", None)]
    assert phases[2] == ("training", 0)
    assert ("validating", 6) in phases and ("saving", 6) in phases
    assert phases.index(("validating", 6)) < phases.index(("saving", 6))
    assert {name for name, _ in phases} == set(TRAINING_PHASES)
    assert kinds.index("run_started") < kinds.index("step")
    # Loading comes before run_started; training after it.
    first_training = next(i for i, e in enumerate(events) if e.get("phase") == "training")
    assert kinds.index("run_started") < first_training
    assert kinds[-1] == "run_finished"


@pytest.mark.slow
def test_a_long_run_logs_its_last_step_and_the_step_it_was_cancelled_at(
    tmp_path: Path, tiny_model_dir: Path, validate_event: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A "long" run without hundreds of steps: runs of more than 4 steps keep their logging_steps here.
    monkeypatch.setattr(presets, "SHORT_RUN_STEPS", 4)
    config = write_config(tmp_path, tiny_model_dir, "long", max_steps=12, logging_steps=5, save_steps=500)
    assert main(["train", "--config", str(config)]) == 0
    events = run_events(config, validate_event)
    assert [e["step"] for e in events if e["event"] == "step"] == [5, 10, 12]
    assert not any(e["event"] == "notice" and e["code"] == "logging-every-step" for e in events)

    config = write_config(
        tmp_path,
        tiny_model_dir,
        "cancelled",
        max_steps=400,
        logging_steps=5,
        eval_steps=1000,
        save_steps=1000,
    )
    events_file = tmp_path / "cancelled" / "events.jsonl"

    def cancel_after_the_first_logged_step() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if events_file.exists() and any(e["event"] == "step" for e in read_events(events_file)):
                time.sleep(0.2)  # most likely between two logging steps now
                os.kill(os.getpid(), signal.SIGTERM)  # the trainer's handler: save and stop after this step
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=cancel_after_the_first_logged_step, daemon=True)
    watcher.start()
    assert main(["train", "--config", str(config)]) == 0
    watcher.join(timeout=5)
    events = run_events(config, validate_event)
    cancelled = events[-1]
    assert cancelled["event"] == "run_cancelled"
    last_step = [e for e in events if e["event"] == "step"][-1]
    # The last loss belongs to the step the run stopped at, not to the last multiple of logging_steps.
    assert last_step["step"] == cancelled["step"]
    assert ("saving", cancelled["step"]) in [(e["phase"], e["step"]) for e in events if e["event"] == "phase"]
