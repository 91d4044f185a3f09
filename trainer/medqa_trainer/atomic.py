"""Crash-safe file replacement: write a uniquely named temp file beside the target, fsync it, rename it over.

A reader (the extension, a second window, `compare`) sees the old file or the new one, never half of one; two
writers never share a temp file (a fixed `<name>.tmp` lets one writer rename the other's half-written file).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_lines_atomic(path: Path, chunks: Iterable[str]) -> None:
    path = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    # mkstemp creates 0600 files; results are meant to be read like any other file the user writes.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_text_atomic(path: Path, text: str) -> None:
    write_lines_atomic(path, [text])
