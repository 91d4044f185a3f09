"""Writer for the JSON-lines event protocol (schema/events.schema.json, docs/protocol.md).

Each event is one line, flushed and fsynced before `emit` returns, so a reader (the extension's file watcher)
sees complete lines and a SIGKILL leaves at most the line being written incomplete — readers skip it.
stdout/stderr never carry events; they are for people.
"""

from __future__ import annotations

import json
import math
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from medqa_trainer import PROTOCOL_VERSION

SCHEMA_PATH = Path(__file__).parent / "schema" / "events.schema.json"

EVENT_NAMES = (
    "run_started",
    "notice",
    "step",
    "eval",
    "checkpoint",
    "run_finished",
    "run_failed",
    "run_cancelled",
    "eval_started",
    "eval_progress",
    "eval_finished",
    "validation_progress",
    "phase",
)

# What a training run is doing, in order of a normal run (`phase` events; validating and saving come and go).
TRAINING_PHASES = ("tokenizing", "loading_model", "training", "validating", "saving")


def utc_now_iso() -> str:
    """ISO 8601 in UTC with a `Z` suffix and millisecond precision (what `Date.parse` reads)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_safe(value: Any) -> Any:
    """JSON has no NaN/Infinity (JSON.parse rejects them): write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class EventWriter:
    """Appends events to `path` (created with its parent folder if needed).

    `enabled=False` gives a writer that drops everything: in multi-process training only rank 0 writes.
    Thread-safe, because signal handlers and callbacks may emit while another emit is in progress.
    """

    def __init__(self, path: str | os.PathLike[str], *, enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event and return the object written. Unknown event names are a programming error."""
        if event not in EVENT_NAMES:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENT_NAMES)}")
        record: dict[str, Any] = {"v": PROTOCOL_VERSION, "event": event, "time": utc_now_iso()}
        record.update(_json_safe(fields))
        if self._file is None:
            return record
        line = json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        return record

    def notice(self, code: str, message: str, level: str = "info") -> dict[str, Any]:
        return self.emit("notice", level=level, code=code, message=message)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Parse an events file the way the extension does: skip blank and unparsable lines (a killed writer)."""
    events: list[dict[str, Any]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            events.append(value)
    return events
