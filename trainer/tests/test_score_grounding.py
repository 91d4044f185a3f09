"""Grounding measures in `score` and `compare` output: per row, in metrics.json and in comparison.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.cli import main

PASSAGES = [
    {"n": 1, "id": "GHR/1/1", "url": "https://ghr.nlm.nih.gov/condition/x", "score": 9.5,
     "question": "What is Opitz G/BBB syndrome?",
     "text": "Opitz G/BBB syndrome is a genetic condition that affects the midline of the body."},
    {"n": 2, "id": "GHR/1/2", "url": None, "score": 7.1, "question": "How many people are affected?",
     "text": "It affects an estimated 1 in 50,000 to 100,000 males."},
]  # fmt: skip
QUESTION = "What is (are) Opitz G/BBB syndrome ?"
REFERENCE = "Opitz G/BBB syndrome is a genetic condition that causes several abnormalities along the midline."
CLOSED = [
    "It is Kubecoff syndrome, found in 1 in 250,000 people since 1982.",
    "Opitz G/BBB syndrome is a genetic condition.",
]
RAG = [
    "Opitz G/BBB syndrome is a genetic condition that affects the midline of the body [1].",
    "It affects 1 in 50,000 males [2] [7].",
]


def write(path: Path, predictions: list[str], passages: list[dict[str, Any]] | None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, prediction in enumerate(predictions):
        row: dict[str, Any] = {
            "id": f"q{i}",
            "question": QUESTION,
            "qtype": "information",
            "reference": REFERENCE,
            "prediction": prediction,
        }
        if passages is not None:
            row["retrieved"] = passages
        rows.append(json.dumps(row))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def score(source: Path, out: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    assert main(["score", "--predictions", str(source), "--out", str(out), "--bootstrap", "100"]) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    return metrics, rows


def test_closed_book_rows_are_checked_against_the_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics, rows = score(write(tmp_path / "closed.jsonl", CLOSED, None), tmp_path / "closed")
    first = rows[0]
    assert first["grounding"]["sources"] == "question"
    assert first["grounding"]["unsupported"] == ["Kubecoff syndrome", "1 in 250,000", "1982"]
    assert first["scores"]["fabrication"] == pytest.approx(100 * 3 / 12)
    assert "citation_valid" not in first["scores"]
    assert rows[1]["scores"]["fabrication"] == 0.0
    grounding = metrics["grounding"]
    assert grounding["n"] == 2 and set(grounding["overall"]) == {
        "support",
        "fabrication",
        "fabrication_count",
    }
    assert grounding["overall"]["fabrication"]["value"] == pytest.approx(100 * 3 / (12 + 8))
    assert grounding["by_qtype"]["information"]["n"] == 2
    assert grounding["settings"]["units"]["fabrication"] == "per 100 words"
    assert "grounding (proxies, not truth): support" in capsys.readouterr().out


def test_retrieval_rows_get_citation_validity(tmp_path: Path) -> None:
    metrics, rows = score(write(tmp_path / "rag.jsonl", RAG, PASSAGES), tmp_path / "rag")
    assert rows[0]["retrieved"] == PASSAGES  # carried as given
    assert rows[0]["scores"]["citation_valid"] == 1.0 and rows[0]["scores"]["support"] == 1.0
    assert rows[1]["grounding"]["cited"] == [2, 7] and rows[1]["scores"]["citation_valid"] == 0.5
    assert rows[1]["grounding"]["sources"] == "question+passages"
    overall = metrics["grounding"]["overall"]
    assert overall["citation_valid"]["value"] == pytest.approx(0.75) and overall["citing"]["value"] == 1.0
    assert overall["fabrication"]["value"] == 0.0


def test_a_broken_retrieved_field_is_reported_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "bad.jsonl", RAG, [{"text": "no number"}])
    assert main(["score", "--predictions", str(source), "--out", str(tmp_path / "out")]) == 2
    assert "bad.jsonl:1: retrieved[0] must be an object with an integer 'n'" in capsys.readouterr().err


def test_compare_pairs_the_grounding_measures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, cand = tmp_path / "base", tmp_path / "cand"
    score(write(tmp_path / "closed.jsonl", CLOSED * 5, None), base)
    score(write(tmp_path / "rag.jsonl", RAG * 5, PASSAGES), cand)
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                "--base",
                str(base),
                "--candidate",
                str(cand),
                "--out",
                str(out),
                "--bootstrap",
                "200",
            ]
        )
        == 0
    )
    comparison = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["higher_is_better"]["fabrication"] is False
    assert comparison["higher_is_better"]["support"] is True
    fabrication = comparison["metrics"]["fabrication"]
    assert fabrication["base"] > 0 and fabrication["candidate"] == 0.0 and fabrication["absolute_change"] < 0
    # Only the retrieval side has citations: no paired row for them.
    assert "citation_valid" not in comparison["metrics"]
    assert "fabrication" in comparison["by_qtype"]["information"]["metrics"]
    assert "| fabrication |" in (out / "comparison.md").read_text(encoding="utf-8")
