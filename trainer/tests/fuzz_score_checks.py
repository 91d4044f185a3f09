"""Invariants the `score` fuzz (tests/test_fuzz_score.py) checks on what `score` did with a generated file."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from fuzz_score_inputs import BAD, GOOD, Case

from medqa_trainer import score
from medqa_trainer.events import _json_safe

# ---------------------------------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------------------------------


def physical_lines(data: bytes) -> list[str]:
    """The lines `score` sees: UTF-8 (BOM dropped, bad bytes replaced), universal newlines (\\n, \\r\\n, \\r)."""
    text = data.decode("utf-8-sig", errors="replace")
    return re.split(r"\r\n|\r|\n", text)


def non_blank_lines(data: bytes) -> list[int]:
    return [n for n, line in enumerate(physical_lines(data), start=1) if line.strip()]


def problem_lines(error: score.PredictionsFileError, path: Path) -> list[int]:
    prefix = re.compile(rf"^{re.escape(str(path))}:(\d+): ")
    numbers = []
    for problem in error.problems:
        match = prefix.match(problem)
        if match:
            numbers.append(int(match.group(1)))
        else:
            assert problem == f"{path}: no predictions (the file is empty)", problem
    return numbers


def load_checked(case: Case, path: Path) -> list[dict[str, Any]] | None:
    """load_predictions with the line invariants checked; the rows, or None when the file was refused."""
    path.write_bytes(case.data)
    lines = non_blank_lines(case.data)
    try:
        rows = score.load_predictions(path)
    except score.PredictionsFileError as error:
        reported = problem_lines(error, path)
        assert set(reported) <= set(lines), (
            f"problems on lines that are blank or absent: {reported} vs {lines}"
        )
        if not lines:
            assert error.problems == [f"{path}: no predictions (the file is empty)"]
        assert error.problems, "refused without a problem"
        for number, tag in enumerate(case.tags, start=1):
            if tag == BAD:
                assert number in reported, f"bad line {number} not reported: {error.problems}"
            if tag == GOOD:
                assert number not in reported, f"good line {number} reported: {error.problems}"
        return None
    assert BAD not in case.tags, f"bad lines {[n for n, t in enumerate(case.tags, 1) if t == BAD]} scored"
    assert len(rows) == len(lines), f"{len(lines)} non-blank lines but {len(rows)} rows"
    for row in rows:
        assert isinstance(row["reference"], str) and isinstance(row["prediction"], str)
    return rows


def finite_or_null(value: Any, where: str, *, infinite_perplexity: bool = False) -> None:
    """Every number in a metrics value is finite (JSON has no NaN or Infinity; null says 'not available').

    In memory (`infinite_perplexity`), a perplexity may be +inf: exp of a huge mean loss; it is written as null.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            finite_or_null(item, f"{where}.{key}", infinite_perplexity=infinite_perplexity)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            finite_or_null(item, f"{where}[{i}]", infinite_perplexity=infinite_perplexity)
    elif isinstance(value, float):
        overflow = infinite_perplexity and "perplexity" in where and value == math.inf
        assert math.isfinite(value) or overflow, f"{where} is {value}"


def strict_utf8_json(value: Any) -> bytes:
    """What the writers produce (no NaN, UTF-8); raises if the value cannot be written."""
    return json.dumps(_json_safe(value), ensure_ascii=False, allow_nan=False).encode("utf-8")
