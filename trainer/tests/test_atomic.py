"""Atomic replacement of result files (config.yaml, metrics.json, comparison, scored predictions)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from medqa_trainer import atomic
from medqa_trainer.atomic import replace_dir, restore_set_aside, write_lines_atomic, write_text_atomic
from medqa_trainer.onnx_export import replace_folder


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


def _record_dir_fsyncs(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    """Records os.replace calls and fsyncs of folders (by path), in order."""
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            calls.append(f"fsync-dir {os.readlink(f'/proc/self/fd/{fd}')}")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        calls.append(f"replace {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads fd paths from /proc")
def test_the_folder_is_fsynced_after_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _record_dir_fsyncs(monkeypatch, calls)
    write_text_atomic(tmp_path / "metrics.json", "{}\n")
    assert calls == ["replace metrics.json", f"fsync-dir {tmp_path}"]


def _export(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "model.onnx").write_text(text)
    (folder / "medqa-onnx.json").write_text("{}")
    return folder


def test_replace_dir_swaps_in_the_new_folder_and_removes_the_old(tmp_path: Path) -> None:
    target = _export(tmp_path / "onnx", "old")
    replace_dir(_export(tmp_path / ".onnx.building", "new"), target)
    assert (target / "model.onnx").read_text() == "new"
    if sys.platform.startswith("linux"):
        assert atomic.exchange(target, _export(tmp_path / "other", "x")), "renameat2 swaps folders here"
        assert (target / "model.onnx").read_text() == "x"
        shutil.rmtree(tmp_path / "other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["onnx"]
    replace_dir(_export(tmp_path / ".onnx.building", "first"), tmp_path / "fresh")
    assert (tmp_path / "fresh" / "model.onnx").read_text() == "first"


@pytest.mark.parametrize("swap", [True, False], ids=["swap", "rename-aside"])
@pytest.mark.parametrize("crash_at", [0, 1, 2, 3])
def test_a_crash_at_any_point_of_an_onnx_re_export_leaves_a_complete_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap: bool, crash_at: int
) -> None:
    """The crash is an exception instead of the `crash_at`-th rename/swap/removal: at every point the target
    holds a complete export (the old or the new), or the next replace (restore_set_aside) brings it back."""

    class Crash(BaseException):
        pass

    target = _export(tmp_path / "onnx", "old")
    built = _export(tmp_path / ".onnx.building", "new")
    steps = {"n": 0}

    def counted(real: Callable[..., object]) -> Callable[..., object]:
        def step(*args: object, **kwargs: object) -> object:
            if steps["n"] == crash_at:
                raise Crash()
            steps["n"] += 1
            return real(*args, **kwargs)

        return step

    monkeypatch.setattr(os, "replace", counted(os.replace))
    monkeypatch.setattr(shutil, "rmtree", counted(shutil.rmtree))
    monkeypatch.setattr(atomic, "exchange", counted(atomic.exchange) if swap else lambda a, b: False)
    with contextlib.suppress(Crash):
        replace_folder(built, target)
    monkeypatch.undo()
    restore_set_aside(target)
    assert (target / "model.onnx").read_text() in ("old", "new")
    assert (target / "medqa-onnx.json").is_file()
