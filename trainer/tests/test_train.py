"""End-to-end runs of `train` on the tiny random Qwen3 and the fixture export (CPU, a few seconds each)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from medqa_trainer.cli import main
from medqa_trainer.config import load_config
from medqa_trainer.events import read_events

pytestmark = pytest.mark.slow

TRAINER_DIR = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"
WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path, tiny_model_dir: Path) -> WriteConfig:
    def write(name: str = "run", **overrides: Any) -> Path:
        values: dict[str, Any] = {
            "preset": "recommended",
            "model_name_or_path": str(tiny_model_dir),
            "train_file": str(FIXTURE / "train.jsonl"),
            "validation_file": str(FIXTURE / "validation.jsonl"),
            "output_dir": str(tmp_path / name),
            "max_steps": 12,
            "per_device_train_batch_size": 2,
            "per_device_eval_batch_size": 4,
            "gradient_accumulation_steps": 1,
            "learning_rate": 2e-2,
            "warmup_ratio": 0.0,
            "eval_steps": 4,
            "save_steps": 4,
            "logging_steps": 1,
            "early_stopping_patience": 0,
        }
        values.update(overrides)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values))
        return path

    return write


def events_of(output_dir: Path, validate_event: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    events = read_events(output_dir / "events.jsonl")
    for event in events:
        validate_event(event)
    return events


def losses(events: list[dict[str, Any]]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events if e["event"] == "step"}


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(TRAINER_DIR), "PYTHONUNBUFFERED": "1"}


def start_training(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "medqa_trainer", "train", "--config", str(config), *extra],
        cwd=TRAINER_DIR,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(
    path: Path, predicate: Callable[[list[dict[str, Any]]], bool], proc: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and predicate(read_events(path)):
            return
        if proc.poll() is not None:
            raise AssertionError(f"trainer exited early ({proc.returncode}):\n{proc.communicate()[0]}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("timed out waiting for the trainer")


def test_training_reduces_loss_and_writes_a_reproducible_run_folder(
    write_config: WriteConfig, validate_event: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fixture's validation split has 4 examples: a cap of 3 takes a seeded, stratified sample.
    config_path = write_config(max_steps=16, eval_steps=8, save_steps=8, max_validation_examples=3)
    assert main(["train", "--config", str(config_path)]) == 0
    output_dir = load_config(config_path).output_dir
    events = events_of(Path(output_dir), validate_event)
    kinds = [e["event"] for e in events]
    assert kinds.count("run_started") == 1 and kinds[-1] == "run_finished"
    assert any(e["event"] == "notice" and e["code"] == "fp32-on-cpu" for e in events)
    steps = [e for e in events if e["event"] == "step"]
    assert [e["step"] for e in steps] == list(range(1, 17))
    assert all(e["tokens_per_second"] and e["tokens_per_second"] > 0 for e in steps)
    first, last = sum(e["loss"] for e in steps[:3]) / 3, sum(e["loss"] for e in steps[-3:]) / 3
    assert last < first - 0.05, f"loss did not go down: {first:.4f} -> {last:.4f}"
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [8, 16]
    # Each validation pass reports its progress before its result, ending with done == total.
    progress = [e for e in events if e["event"] == "validation_progress"]
    assert {e["step"] for e in progress} == {8, 16}
    for ev in evals:
        last = [e for e in progress if e["step"] == ev["step"]][-1]
        assert last["done"] == last["total"] >= 1
        assert events.index(last) < events.index(ev)
    sampled = [e for e in events if e["event"] == "notice" and e["code"] == "validation-sampled"]
    assert len(sampled) == 1 and "sample of 3 of the 4 validation examples" in sampled[0]["message"]
    assert all(abs(e["perplexity"] - 2.718281828 ** e["eval_loss"]) < 1e-3 * e["perplexity"] for e in evals)
    finished = events[-1]
    assert Path(finished["adapter_path"], "adapter_model.safetensors").is_file()
    assert finished["best_checkpoint"] in {e["path"] for e in events if e["event"] == "checkpoint"}
    # The resolved config (max_length filled in from the data) reproduces the run and carries run_info.
    run_dir = Path(output_dir)
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["max_length"] == 64 and saved["run_info"]["dataset_manifest_hash"].startswith("sha256:")
    assert saved["run_info"]["environment"]["device"] == "cpu"
    assert saved["run_info"]["validation_examples"] == 3
    assert load_config(run_dir / "config.yaml").to_dict() == events[kinds.index("run_started")]["config"]
    assert not (run_dir / "trainer.pid").exists()
    assert "step 16/16 loss" in capsys.readouterr().out  # progress lines for people, on stdout


def test_early_stopping_when_validation_loss_stops_improving(
    write_config: WriteConfig, validate_event: Any
) -> None:
    config_path = write_config(
        max_steps=200, early_stopping_patience=2, learning_rate=1e-2, lora_target_modules=["all-linear"]
    )
    assert main(["train", "--config", str(config_path)]) == 0
    events = events_of(Path(load_config(config_path).output_dir), validate_event)
    finished = events[-1]
    assert finished["event"] == "run_finished" and finished["stopped_early"] is True
    assert finished["step"] < 200
    evals = [e["eval_loss"] for e in events if e["event"] == "eval"]
    best = min(evals)
    assert evals.index(best) == len(evals) - 3  # the best, then `patience` evaluations without improvement
    assert finished["best_eval_loss"] == pytest.approx(best)
    best_checkpoints = [e for e in events if e["event"] == "checkpoint" and e["is_best"]]
    assert finished["best_checkpoint"] == best_checkpoints[-1]["path"]
    assert Path(finished["best_checkpoint"]).is_dir()  # kept although save_total_limit prunes older ones


def test_sigterm_saves_a_checkpoint_and_resuming_continues_the_same_loss_curve(
    write_config: WriteConfig, validate_event: Any
) -> None:
    baseline_config = write_config("baseline")
    assert main(["train", "--config", str(baseline_config)]) == 0
    baseline = events_of(Path(load_config(baseline_config).output_dir), validate_event)

    config = write_config("interrupted")
    run_dir = Path(load_config(config).output_dir)
    proc = start_training(config)
    wait_for(
        run_dir / "events.jsonl", lambda ev: any(e["event"] == "step" and e["step"] >= 5 for e in ev), proc
    )
    assert (run_dir / "trainer.pid").read_text().strip() == str(proc.pid)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    events = events_of(run_dir, validate_event)
    cancelled = events[-1]
    assert cancelled["event"] == "run_cancelled", output
    saving = [e for e in events if e["event"] == "notice" and e["code"] == "saving-checkpoint"]
    assert len(saving) == 1 and f"checkpoint-{cancelled['step']}" in saving[0]["message"]
    stopped_at = cancelled["step"]
    assert 5 <= stopped_at < 12
    assert cancelled["checkpoint"] == str(run_dir / f"checkpoint-{stopped_at}")
    assert Path(cancelled["checkpoint"], "adapter_model.safetensors").is_file()
    assert not (run_dir / "trainer.pid").exists()

    assert main(["train", "--config", str(config), "--resume", "latest"]) == 0
    events = events_of(run_dir, validate_event)
    assert events[-1]["event"] == "run_finished" and events[-1]["step"] == 12
    resumed_start = max(i for i, e in enumerate(events) if e["event"] == "run_started")
    assert events[resumed_start]["resumed_from"] == cancelled["checkpoint"]
    resumed = losses(events[resumed_start:])
    assert sorted(resumed) == list(range(stopped_at + 1, 13))
    expected = losses(baseline)
    for step, loss in resumed.items():
        assert loss == pytest.approx(expected[step], rel=1e-4, abs=1e-4), f"step {step}"
    final_eval = [e for e in events if e["event"] == "eval"][-1]
    baseline_eval = [e for e in baseline if e["event"] == "eval"][-1]
    assert final_eval["eval_loss"] == pytest.approx(baseline_eval["eval_loss"], rel=1e-4)


def test_sigkill_leaves_readable_events_and_the_run_resumes(
    write_config: WriteConfig, validate_event: Any, tmp_path: Path
) -> None:
    export = Path(shutil.copytree(FIXTURE, tmp_path / "export"))
    config = write_config(
        "killed", train_file=str(export / "train.jsonl"), validation_file=str(export / "validation.jsonl")
    )
    run_dir = Path(load_config(config).output_dir)
    proc = start_training(config)
    wait_for(run_dir / "events.jsonl", lambda ev: any(e["event"] == "checkpoint" for e in ev), proc)
    proc.kill()
    proc.communicate(timeout=60)
    events = events_of(run_dir, validate_event)  # every line parses: each was flushed whole
    assert events and not any(e["event"].startswith("run_") and e["event"] != "run_started" for e in events)
    assert (
        run_dir / "trainer.pid"
    ).exists()  # left behind: with no live process the run reads as interrupted
    # A fresh run must not silently overwrite the interrupted one.
    assert main(["train", "--config", str(config)]) == 2
    # The export changed between the runs: the resumed run says so.
    manifest = export / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"seed": 42', '"seed": 7'))
    assert main(["train", "--config", str(config), "--resume", "latest"]) == 0
    events = read_events(run_dir / "events.jsonl")
    assert events[-1]["event"] == "run_finished"
    assert any(e["event"] == "notice" and e["code"] == "dataset-changed" for e in events)


def test_a_crash_ends_with_run_failed_and_a_traceback(
    write_config: WriteConfig, validate_event: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonl"
    shutil.copyfile(FIXTURE / "validation.jsonl", broken)
    with broken.open("a") as handle:
        handle.write("{oops\n")
    config = write_config("crash", validation_file=str(broken))
    assert main(["train", "--config", str(config)]) == 1
    run_dir = Path(load_config(config).output_dir)
    failed = events_of(run_dir, validate_event)[-1]
    assert failed["event"] == "run_failed"
    assert "broken.jsonl:5: not valid JSON" in failed["error"]
    assert "DataError" in Path(failed["traceback_path"]).read_text()
    assert not (run_dir / "trainer.pid").exists()


def test_a_nan_loss_ends_the_run_as_failed_naming_the_last_good_checkpoint(
    write_config: WriteConfig, validate_event: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medqa_trainer.callbacks import MedQATrainer

    original = MedQATrainer.compute_loss

    def compute_loss(self: Any, *args: Any, **kwargs: Any) -> Any:
        loss = original(self, *args, **kwargs)
        # From optimizer step 6 on the loss is NaN, as after an exploding update.
        return loss * float("nan") if self.state.global_step >= 5 else loss

    monkeypatch.setattr(MedQATrainer, "compute_loss", compute_loss)
    config = write_config()
    output_dir = load_config(config).output_dir
    assert main(["train", "--config", str(config)]) == 1
    events = events_of(Path(output_dir), validate_event)
    last = events[-1]
    assert last["event"] == "run_failed"
    assert last["error"].startswith("diverged at step 6: the training loss became nan. ")
    assert f"Last good checkpoint: {Path(output_dir) / 'checkpoint-4'}" in last["error"]
    assert not any(e["event"] == "run_finished" for e in events)
    assert not (Path(output_dir) / "adapter").exists()
    assert not (Path(output_dir) / "checkpoint-8").exists()


def test_bad_config_is_refused_before_anything_is_written(
    write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config("bad", lora_rank=8)
    assert main(["train", "--config", str(config)]) == 2
    assert "unknown key(s) lora_rank" in capsys.readouterr().err
    assert not Path(yaml.safe_load(config.read_text())["output_dir"]).exists()


def test_two_cpu_processes_with_gloo(write_config: WriteConfig, validate_event: Any) -> None:
    config = write_config("ddp", max_steps=4, save_steps=4, eval_steps=4)
    # torchrun (what `accelerate launch --multi_gpu` uses underneath); --standalone picks a free local port.
    proc = subprocess.run(
        [
            sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", "medqa_trainer", "train", "--config", str(config),
        ],
        cwd=TRAINER_DIR, env=subprocess_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = Path(load_config(config).output_dir)
    events = events_of(run_dir, validate_event)
    kinds = [e["event"] for e in events]
    assert kinds.count("run_started") == 1 and kinds.count("run_finished") == 1  # rank 0 writes alone
    started = events[kinds.index("run_started")]
    assert started["environment"]["world_size"] == 2
    assert started["total_steps"] == 4
    assert [e["step"] for e in events if e["event"] == "step"] == [1, 2, 3, 4]
    assert (run_dir / "checkpoint-4" / "adapter_model.safetensors").is_file()
