"""Crash-safe file replacement: write a uniquely named temp file beside the target, fsync it, rename it over,
fsync the folder.

A reader (the extension, a second window, `compare`) sees the old file or the new one, never half of one; two
writers never share a temp file (a fixed `<name>.tmp` lets one writer rename the other's half-written file). The
rename itself is only durable once the folder holding the entry is fsynced: without that, a power loss after the
rename can bring back the old entry, or (for a new file) no entry at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Makes the renames and creations in `folder` durable. Windows cannot open a folder for this (NTFS journals
    its metadata); a file system that cannot fsync a folder (EINVAL) is left as it is."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


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
        fsync_dir(path.parent)
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


_RENAME_EXCHANGE = 2  # linux/fs.h; macOS's renamex_np RENAME_SWAP has the same value


def exchange(a: Path, b: Path) -> bool:
    """Atomically swaps two existing paths (renameat2 RENAME_EXCHANGE on Linux, renamex_np RENAME_SWAP on macOS).
    False where the system or the file system cannot; nothing is changed then."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd = -100
        result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(os.fsencode(a), os.fsencode(b), _RENAME_EXCHANGE)
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a))


def set_aside_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def restore_set_aside(target: Path) -> None:
    """A replace_dir cut short between its two renames (the fallback below) left the previous folder set aside
    and none at `target`: put it back, so the last complete folder is there again."""
    old = set_aside_name(target)
    if old.is_dir() and not target.exists():
        os.replace(old, target)
        fsync_dir(target.parent)


def replace_dir(built: Path, target: Path) -> None:
    """Puts the finished folder `built` at `target` so that a crash at any moment leaves a complete folder there
    (the previous one or the new one), then removes the previous one.

    Where the system can swap two paths atomically (Linux, macOS), the new folder and the old one are exchanged
    in one step. Elsewhere the old folder is renamed aside to `.<name>.old` and the new one renamed in; a crash
    between the two leaves the old folder aside, and `restore_set_aside` (called here first, and by whoever
    reads the folder before writing a new one) puts it back."""
    restore_set_aside(target)
    parent = target.parent
    if not target.exists():
        os.replace(built, target)
        fsync_dir(parent)
        return
    if exchange(built, target):
        fsync_dir(parent)
        shutil.rmtree(built, ignore_errors=True)  # `built` now names the previous folder
        return
    old = set_aside_name(target)
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    os.replace(built, target)
    fsync_dir(parent)
    shutil.rmtree(old, ignore_errors=True)
