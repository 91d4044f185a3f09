"""Atomic replacement of result files (config.yaml, metrics.json, comparison, scored predictions)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from medqa_trainer.atomic import write_lines_atomic, write_text_atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "metrics.json"
    write_text_atomic(target, "old\n")

    def broken() -> Iterator[str]:
        yield "half of a new file"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_lines_atomic(target, broken())
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_concurrent_writers_each_leave_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    contents = [f"writer {n}\n" * 2000 for n in range(8)]
    threads = [threading.Thread(target=write_text_atomic, args=(target, text)) for text in contents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_text() in contents
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]
    assert target.stat().st_mode & 0o044, "readable like any other result file"
