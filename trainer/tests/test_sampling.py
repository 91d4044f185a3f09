"""Seeded stratified samples: what `evaluate --limit` evaluates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from medqa_trainer.evaluate import load_examples
from medqa_trainer.sampling import stratified_sample


def _export(path: Path, qtypes: list[str]) -> Path:
    lines = []
    for number, qtype in enumerate(qtypes):
        messages = [
            {"role": "user", "content": f"Question {number} ({qtype})?"},
            {"role": "assistant", "content": f"Answer {number}."},
        ]
        lines.append(json.dumps({"id": f"q{number}", "qtype": qtype, "messages": messages}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_limit_keeps_each_qtypes_share_instead_of_the_first_rows(tmp_path: Path) -> None:
    # An export lists one collection after another: the first 6 rows are all "information".
    data = _export(tmp_path / "test.jsonl", ["information"] * 60 + ["symptoms"] * 30 + ["treatment"] * 10)
    sample = load_examples(data, limit=10, seed=7)
    assert Counter(e.qtype for e in sample) == {"information": 6, "symptoms": 3, "treatment": 1}
    assert [e.id for e in sample] == sorted((e.id for e in sample), key=lambda i: int(i[1:])), "file order kept"
    assert [e.id for e in load_examples(data, limit=10, seed=7)] == [e.id for e in sample], "reproducible"
    assert [e.id for e in load_examples(data, limit=10, seed=8)] != [e.id for e in sample], "seeded"
    assert len(load_examples(data, limit=500, seed=7)) == 100


def test_largest_remainders_fill_the_sample_exactly() -> None:
    rows = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    for n in range(16):
        picked = stratified_sample(rows, n, seed=1, stratum=lambda r: r)
        counts = [picked.count(key) for key in "abc"]
        assert len(picked) == n and max(counts) - min(counts) <= 1
