from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.events import EventWriter, read_events


def test_lines_carry_version_event_time_and_validate(tmp_path: Path, validate_event: Any) -> None:
    path = tmp_path / "run" / "events.jsonl"
    with EventWriter(path) as writer:
        writer.notice("qlora-needs-cuda", "QLoRA needs CUDA", level="warning")
        writer.emit(
            "step",
            step=1,
            total_steps=4,
            epoch=0.25,
            loss=2.5,
            learning_rate=1e-4,
            grad_norm=None,
            tokens_per_second=12.0,
        )
        writer.emit("eval", step=1, epoch=0.25, eval_loss=2.0, perplexity=7.39)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        event = json.loads(line)
        assert event["v"] == 1 and event["time"].endswith("Z")
        validate_event(event)


def test_schema_rejects_an_event_missing_a_required_field(validate_event: Any) -> None:
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        validate_event({"v": 1, "event": "step", "time": "2024-01-01T00:00:00Z", "step": 1})


def test_non_finite_numbers_become_null(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventWriter(path) as writer:
        writer.emit(
            "step",
            step=1,
            epoch=0.0,
            loss=1.0,
            learning_rate=0.0,
            grad_norm=float("nan"),
            tokens_per_second=float("inf"),
        )
    event = json.loads(path.read_text(encoding="utf-8"))
    assert event["grad_norm"] is None and event["tokens_per_second"] is None


def test_unknown_event_is_refused(tmp_path: Path) -> None:
    with EventWriter(tmp_path / "e.jsonl") as writer, pytest.raises(ValueError, match="unknown event"):
        writer.emit("stepp")


def test_disabled_writer_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    EventWriter(path, enabled=False).emit("notice", level="info", code="x", message="y")
    assert not path.exists()


def test_sigkill_leaves_every_emitted_line_readable(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    script = textwrap.dedent(
        f"""
        import os, signal
        from medqa_trainer.events import EventWriter
        w = EventWriter({str(path)!r})
        for i in range(5):
            w.emit("eval_progress", done=i, total=5)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == -9
    assert [e["done"] for e in read_events(path)] == [0, 1, 2, 3, 4]


def test_reader_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"v": 1, "event": "notice"}\n{"v": 1, "ev', encoding="utf-8")
    assert len(read_events(path)) == 1
