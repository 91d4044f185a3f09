"""`score` on hand-written predictions files: expected numbers, line-by-line errors, hygiene, --strip-prompt."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
PREDICTIONS = FIXTURES / "predictions.jsonl"


def run_score(tmp_path: Path, *extra: str, source: Path = PREDICTIONS) -> tuple[int, Path]:
    out = tmp_path / "scored"
    code = main(["score", "--predictions", str(source), "--out", str(out), "--bootstrap", "200", *extra])
    return code, out


def read_metrics(out: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return value


def test_score_fixture_gives_hand_computed_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_score(tmp_path)
    assert code == 0
    metrics = read_metrics(out)
    overall = metrics["overall"]
    assert metrics["n"] == 4 and metrics["source"] == "score"
    # Rows: a (partial), b (identical), c (empty), d (echoed prompt + right answer).
    assert overall["exact_match"]["value"] == pytest.approx(25.0)
    # F1: a 3/4 both ways = 75; b 100; c 0; d 3 of 10 predicted tokens match all 3 reference tokens.
    f1_d = 100 * 2 * 0.3 * 1.0 / 1.3
    assert overall["f1"]["value"] == pytest.approx((75 + 100 + 0 + f1_d) / 4)
    # ROUGE-L: a 5/6; b 1; c 0; d LCS 3 of 11 hypothesis and 3 reference tokens -> F = 6/14.
    assert overall["rouge_l"]["value"] == pytest.approx((5 / 6 + 1 + 0 + 6 / 14) / 4)
    # Corpus BLEU from hand-counted 13a n-gram matches: 1-4 grams 15/25, 11/22, 7/19, 4/16; 25 >= 20 ref tokens.
    assert overall["bleu"]["value"] == pytest.approx(100 * (15 / 25 * 11 / 22 * 7 / 19 * 4 / 16) ** 0.25)
    assert 0 < overall["meteor"]["value"] < 1
    assert "perplexity" not in overall  # no model, no losses in the file
    for entry in overall.values():
        low, high = entry["ci"]
        assert low <= entry["value"] <= high
    assert metrics["by_qtype"]["symptoms"]["n"] == 2
    assert metrics["by_qtype"]["symptoms"]["exact_match"]["value"] == pytest.approx(50.0)
    assert metrics["by_qtype"]["symptoms"]["f1"]["value"] == pytest.approx(87.5)
    assert metrics["by_qtype"]["treatment"]["f1"]["value"] == pytest.approx(f1_d / 2)
    assert metrics["cleaned"] is None
    assert metrics["settings"]["bleu"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp")

    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[1]["scores"]["exact_match"] == 100.0 and rows[1]["scores"]["rouge_l"] == 1.0
    assert rows[0]["scores"]["f1"] == 75.0
    assert rows[2]["hygiene"] == ["empty"]
    printed = capsys.readouterr()
    assert "| symptoms | 2 |" in printed.out
    assert "suspicious" in printed.err and "--strip-prompt" in printed.err


def test_hygiene_report_in_metrics(tmp_path: Path) -> None:
    _, out = run_score(tmp_path)
    hygiene = read_metrics(out)["hygiene"]
    assert hygiene["checked"] == 4 and hygiene["flagged"] == 2
    flags = hygiene["flags"]
    assert flags["empty"] == {"count": 1, "examples": ["c"]}
    assert flags["role_markers"] == {"count": 1, "examples": ["d"]}
    assert flags["prompt_echo"] == {"count": 1, "examples": ["d"]}
    assert flags["think_block"]["count"] == 0
    # score cannot know whether generation hit the token limit: it says so instead of reporting 0.
    assert flags["truncated"]["count"] is None and "unknown" in flags["truncated"]["note"]


def test_strip_prompt_scores_both_sets(tmp_path: Path) -> None:
    code, out = run_score(tmp_path, "--strip-prompt")
    assert code == 0
    metrics = read_metrics(out)
    assert metrics["overall"]["exact_match"]["value"] == pytest.approx(25.0)  # raw answers unchanged
    cleaned = metrics["cleaned"]
    assert cleaned["changed"] == 1
    assert cleaned["overall"]["exact_match"]["value"] == pytest.approx(50.0)
    assert cleaned["overall"]["f1"]["value"] == pytest.approx((75 + 100 + 0 + 100) / 4)
    assert cleaned["by_qtype"]["treatment"]["exact_match"]["value"] == pytest.approx(50.0)
    row_d = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()][3]
    assert row_d["prediction_clean"] == "Rest and fluids."
    assert row_d["scores_clean"]["exact_match"] == 100.0


def test_bad_predictions_file_lists_every_bad_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = FIXTURES / "predictions_bad.jsonl"
    code, out = run_score(tmp_path, source=bad)
    assert code == 2
    err = capsys.readouterr().err
    expected = [
        f"{bad}:2: not valid JSON",
        f"{bad}:3: missing field 'prediction'",
        f"{bad}:5: 'reference' must be a string, got int",
        f"{bad}:6: duplicate id 'ok-1' (first on line 1)",
        f"{bad}:7: expected a JSON object, got list",
        f"{bad}:8: 'truncated' must be bool, got str",
    ]
    for line in expected:
        assert line in err
    assert "6 problem(s)" in err
    assert f"{bad}:1:" not in err and f"{bad}:4:" not in err  # good and blank lines are not problems
    assert not out.exists()


def test_a_byte_order_mark_is_read_and_an_empty_file_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_bom = tmp_path / "bom.jsonl"
    with_bom.write_bytes(b"\xef\xbb\xbf" + PREDICTIONS.read_bytes())
    code, out = run_score(tmp_path / "a", source=with_bom)
    assert code == 0 and (out / "metrics.json").is_file()
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    code, _ = run_score(tmp_path / "b", source=empty)
    assert code == 2
    assert f"{empty}: no predictions (the file is empty)" in capsys.readouterr().err


def test_missing_file_and_overwrite_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_score(tmp_path, source=tmp_path / "nope.jsonl")
    assert code == 2
    assert "no such file" in capsys.readouterr().err
    copy = tmp_path / "run" / "predictions.jsonl"
    copy.parent.mkdir()
    copy.write_text(PREDICTIONS.read_text())
    assert main(["score", "--predictions", str(copy), "--out", str(copy.parent)]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert copy.read_text() == PREDICTIONS.read_text()


def test_rows_from_evaluate_keep_their_perplexity(tmp_path: Path) -> None:
    source = tmp_path / "from_evaluate.jsonl"
    rows = [
        {
            "id": "x",
            "reference": "a b",
            "prediction": "a b",
            "truncated": True,
            "loss_sum": 4.0,
            "answer_tokens": 2,
        },
        {
            "id": "y",
            "reference": "c d",
            "prediction": "c",
            "truncated": False,
            "loss_sum": 2.0,
            "answer_tokens": 2,
        },
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out = run_score(tmp_path, source=source)
    assert code == 0
    metrics = read_metrics(out)
    assert metrics["overall"]["perplexity"]["value"] == pytest.approx(math.exp(6 / 4))
    assert metrics["hygiene"]["flags"]["truncated"] == {"count": 1, "examples": ["x"]}
    assert metrics["by_qtype"]["unknown"]["n"] == 2
