"""How result files (metrics.json, comparison.json) record paths: relative to the folder holding the file.

An evaluation folder moved, copied or shipped to another machine keeps pointing at its data, adapter and sibling
evaluations, and leaks no home folder. The rule (docs/protocol.md, section 3): a path inside the file's project (the
nearest folder above it holding `.medqa` or `.git`; without one, the folder's parent) is written relative to the
file's folder and always starts with `./` or `../`, so a reader never takes it for a hub id such as `org/model`.
Anything else (a model cache, another disk) stays absolute. Readers join a `./` or `../` value to the file's folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_MARKERS = (".medqa", ".git")


def _project_root(folder: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return folder.parent


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def recorded_path(target: str | os.PathLike[str], file_folder: Path) -> str:
    """`target` as a file in `file_folder` records it: `./…`/`../…` when inside the project, else absolute."""
    folder = file_folder.resolve()
    path = Path(target).resolve()
    root = _project_root(folder)
    if root == Path(root.anchor) or not _inside(path, root):
        return str(path)
    relative = os.path.relpath(path, folder)
    if relative in (".", "..") or relative.startswith("../"):
        return relative
    return f"./{relative}"


def recorded_model(model: str, file_folder: Path) -> str:
    """A `--model` value: a local folder is recorded like any path; a hub id (no such folder) as given."""
    return recorded_path(model, file_folder) if Path(model).exists() else model


def resolve_recorded(value: str, file_folder: Path) -> str:
    """The absolute path of a value read from a result file in `file_folder` (hub ids and absolute paths as is)."""
    if value == "." or value.startswith(("./", "../")) or value == "..":
        return os.path.normpath(os.path.join(file_folder.resolve(), value))
    return value
