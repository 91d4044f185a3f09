"""`compare` on hand-written evaluation folders: matching by id, changes, paired bootstrap, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.cli import main

REFERENCES = {f"q{i}": f"drink plenty of water and rest for {i} days" for i in range(20)}


def write_run(folder: Path, predictions: dict[str, str], references: dict[str, str] = REFERENCES) -> Path:
    folder.mkdir(parents=True)
    with (folder / "predictions.jsonl").open("w") as handle:
        for key, prediction in predictions.items():
            qtype = "treatment" if int(key[1:]) % 2 else "prevention"
            handle.write(
                json.dumps(
                    {"id": key, "qtype": qtype, "reference": references[key], "prediction": prediction}
                )
                + "\n"
            )
    return folder


def run_compare(base: Path, candidate: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "compare",
            "--base",
            str(base),
            "--candidate",
            str(candidate),
            "--out",
            str(out),
            "--bootstrap",
            "300",
            *extra,
        ]
    )


def read(out: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((out / "comparison.json").read_text())
    return value


def test_candidate_that_answers_right_wins_significantly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_run(tmp_path / "base", {key: "rest for a while" for key in REFERENCES})
    # Candidate: right on 15 of 20, listed in reverse order plus one id the base lacks (matched by id, not line).
    answers = {key: (ref if int(key[1:]) < 15 else "rest for a while") for key, ref in REFERENCES.items()}
    extra = {**REFERENCES, "q99": "extra"}
    candidate = write_run(tmp_path / "cand", {**dict(reversed(answers.items())), "q99": "extra"}, extra)
    assert run_compare(base, candidate, tmp_path / "out") == 0
    comparison = read(tmp_path / "out")
    assert comparison["n"] == 20 and comparison["only_in_base"] == 0 and comparison["only_in_candidate"] == 1
    em = comparison["metrics"]["exact_match"]
    assert em["base"] == 0.0 and em["candidate"] == pytest.approx(75.0)
    assert em["absolute_change"] == pytest.approx(75.0) and em["relative_change"] is None
    assert em["p_value"] < 0.01 and em["ci"][0] > 0
    f1 = comparison["metrics"]["f1"]
    assert f1["base"] > 0  # "rest for" overlaps every reference
    assert f1["relative_change"] == pytest.approx((f1["candidate"] - f1["base"]) / f1["base"])
    assert set(comparison["by_qtype"]) == {"prevention", "treatment"}
    assert comparison["by_qtype"]["treatment"]["n"] == 10
    assert "perplexity" not in comparison["metrics"]  # neither side has losses
    table = capsys.readouterr().out
    assert "| exact_match | 0 | 75 | 75 |" in table
    assert (tmp_path / "out" / "comparison.md").read_text().strip() == table.strip()


def test_identical_runs_show_no_change(tmp_path: Path) -> None:
    answers = {key: ref.replace("water", "fluids") for key, ref in REFERENCES.items()}
    base = write_run(tmp_path / "a", answers)
    candidate = write_run(tmp_path / "b", answers)
    assert run_compare(base, candidate, tmp_path / "out") == 0
    for entry in read(tmp_path / "out")["metrics"].values():
        assert entry["absolute_change"] == 0.0 and entry["p_value"] == 1.0 and entry["ci"] == [0.0, 0.0]


def test_refuses_different_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "a", {"q1": "x", "q2": "y"})
    other_refs = {**REFERENCES, "q2": "a different reference"}
    candidate = write_run(tmp_path / "b", {"q1": "x", "q2": "y"}, other_refs)
    assert run_compare(base, candidate, tmp_path / "out") == 2
    assert "different references (e.g. q2)" in capsys.readouterr().err
    disjoint = write_run(tmp_path / "c", {"q5": "x"})
    assert run_compare(base, disjoint, tmp_path / "out") == 2
    assert "share no example ids" in capsys.readouterr().err
    assert run_compare(base, tmp_path / "missing", tmp_path / "out") == 2
    assert "has no predictions.jsonl" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cleaned_predictions_from_strip_prompt(tmp_path: Path) -> None:
    echoed = {key: f"user\nHow long should I rest ?\nassistant\n{ref}" for key, ref in REFERENCES.items()}
    raw = write_run(tmp_path / "raw", echoed)
    base = write_run(tmp_path / "base", {key: "see a doctor" for key in REFERENCES})
    assert (
        main(
            [
                "score",
                "--predictions",
                str(raw / "predictions.jsonl"),
                "--out",
                str(tmp_path / "scored"),
                "--strip-prompt",
                "--bootstrap",
                "50",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "score",
                "--predictions",
                str(base / "predictions.jsonl"),
                "--out",
                str(tmp_path / "base-scored"),
                "--strip-prompt",
                "--bootstrap",
                "50",
            ]
        )
        == 0
    )
    assert run_compare(tmp_path / "base-scored", tmp_path / "scored", tmp_path / "out", "--cleaned") == 0
    comparison = read(tmp_path / "out")
    assert comparison["predictions"] == "prediction_clean"
    assert comparison["metrics"]["exact_match"]["candidate"] == 100.0
    # Without --cleaned the echoed scaffolding keeps exact match at 0.
    assert run_compare(tmp_path / "base-scored", tmp_path / "scored", tmp_path / "out2") == 0
    assert read(tmp_path / "out2")["metrics"]["exact_match"]["candidate"] == 0.0
    # --cleaned on folders that were never cleaned is refused with the fix.
    assert run_compare(base, raw, tmp_path / "out3", "--cleaned") == 2
