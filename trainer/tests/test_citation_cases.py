"""The citation cases shared with the extension's unit test (test/unit/retrieval/citations.test.ts): the
Playground links and the Grading panel's "cited" marks must read an answer's citations as evaluate records and
scores them (metrics.grounding.cited_numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medqa_trainer.metrics.grounding import cited_numbers

CASES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "retrieval" / "citations.json"


@pytest.mark.parametrize(
    "case", json.loads(CASES.read_text(encoding="utf-8"))["cases"], ids=lambda c: c["text"]
)
def test_cited_numbers_match_the_shared_cases(case: dict[str, object]) -> None:
    assert cited_numbers(str(case["text"])) == case["cited"]
