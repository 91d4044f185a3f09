"""`compare` and `score` on awkward inputs: groups too small for a p-value, corrupt metrics.json and predictions
(a message naming the file and the problem, never a traceback), and paths recorded relative to the result file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.cli import main
from medqa_trainer.recorded_paths import recorded_model, recorded_path, resolve_recorded

REFERENCE = "drink plenty of water and rest for a few days"


def write_side(folder: Path, qtypes: dict[str, int], right: bool, metrics: str | None = None) -> Path:
    """predictions.jsonl with `count` rows per qtype; right=True answers every reference word for word."""
    folder.mkdir(parents=True)
    rows = [
        {
            "id": f"{qtype}-{i}",
            "qtype": qtype,
            "reference": REFERENCE,
            "prediction": REFERENCE if right else "rest",
        }
        for qtype, count in qtypes.items()
        for i in range(count)
    ]
    (folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if metrics is not None:
        (folder / "metrics.json").write_text(metrics, encoding="utf-8")
    return folder


def compare(base: Path, candidate: Path, out: Path) -> int:
    args = [
        "compare",
        "--base",
        str(base),
        "--candidate",
        str(candidate),
        "--out",
        str(out),
        "--bootstrap",
        "200",
    ]
    return main(args)


def test_groups_under_ten_pairs_get_no_p_value_and_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = {"symptoms": 3, "treatment": 5, "causes": 12}
    base = write_side(tmp_path / "base", groups, right=False)
    candidate = write_side(tmp_path / "cand", groups, right=True)
    assert compare(base, candidate, tmp_path / "out") == 0
    comparison: dict[str, Any] = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert comparison["settings"]["min_pairs_for_p_value"] == 10
    for qtype in ("symptoms", "treatment"):  # the bootstrap gave p < 0.001 for these before
        for entry in comparison["by_qtype"][qtype]["metrics"].values():
            assert entry["p_value"] is None
            assert entry["note"] == "fewer than 10 pairs: no p-value"
    causes = comparison["by_qtype"]["causes"]["metrics"]["exact_match"]
    assert causes["p_value"] is not None and causes["p_value"] < 0.01 and causes["note"] is None
    assert comparison["metrics"]["exact_match"]["p_value"] < 0.01  # 20 pairs overall
    table = capsys.readouterr().out
    assert "2 of 3 question types have fewer than 10 pairs: no p-value" in table
    assert "symptoms, treatment" in table


def test_fewer_than_ten_pairs_overall_shows_no_p_in_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_side(tmp_path / "base", {"symptoms": 4}, right=False)
    candidate = write_side(tmp_path / "cand", {"symptoms": 4}, right=True)
    assert compare(base, candidate, tmp_path / "out") == 0
    comparison = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert all(e["p_value"] is None for e in comparison["metrics"].values())
    table = capsys.readouterr().out
    assert "p: — because 4 is fewer than 10 pairs: no p-value." in table
    row = next(line for line in table.splitlines() if line.startswith("| exact_match |"))
    assert row.startswith("| exact_match | 0 | 100 | 100 |") and row.endswith("| — |")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"model": "m", "adapter": ', "not valid JSON (Expecting value at line 1 column 27)"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"model": 5}', "'model' must be a string or null"),
        ('{"decoding": "greedy"}', "'decoding' must be an object with a string 'hash'"),
        ('{"n": NaN}', "not valid JSON (NaN is not a JSON value)"),
        ("\udcff", "not UTF-8 text"),
    ],
)
def test_corrupt_metrics_json_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    base = write_side(tmp_path / "base", {"symptoms": 2}, right=False)
    candidate = write_side(tmp_path / "cand", {"symptoms": 2}, right=True)
    metrics = candidate / "metrics.json"
    metrics.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert compare(base, candidate, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {metrics}: ") and expected in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_corrupt_predictions_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_side(tmp_path / "base", {"symptoms": 2}, right=False)
    candidate = write_side(tmp_path / "cand", {"symptoms": 2}, right=True)
    (candidate / "predictions.jsonl").write_bytes(b'\x00\xff\xfe garbage\n{"id": 1}\n')
    assert compare(base, candidate, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert f"{candidate / 'predictions.jsonl'}:1: not valid JSON" in err
    assert f"{candidate / 'predictions.jsonl'}:2: missing field 'reference'" in err
    out = tmp_path / "scored"
    assert main(["score", "--predictions", str(candidate / "predictions.jsonl"), "--out", str(out)]) == 2
    assert "cannot be scored (3 problem(s))" in capsys.readouterr().err
    assert main(["score", "--predictions", str(candidate), "--out", str(out)]) == 2  # a folder
    assert f"{candidate}: is a folder; give the predictions .jsonl file inside it" in capsys.readouterr().err
    assert not out.exists()


def test_score_into_an_unwritable_out_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_side(tmp_path / "side", {"symptoms": 2}, right=True) / "predictions.jsonl"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where --out should be a folder")
    assert main(["score", "--predictions", str(source), "--out", str(blocker), "--bootstrap", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write into {blocker}: ") and "Traceback" not in err
    base = write_side(tmp_path / "base", {"symptoms": 2}, right=False)
    assert compare(base, source.parent, blocker) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot write into {blocker}: ")


def test_paths_are_recorded_relative_to_the_result_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".medqa").mkdir(parents=True)
    evaluation = project / ".medqa" / "runs" / "r1" / "evaluations" / "e1"
    base = write_side(evaluation / "base", {"symptoms": 12}, right=False)
    adapter = project / ".medqa" / "runs" / "r1" / "checkpoints" / "checkpoint-10"
    adapter.mkdir(parents=True)
    outside_model = tmp_path / "cache" / "model"
    outside_model.mkdir(parents=True)
    # What `evaluate` writes now: paths relative to metrics.json's folder (the model cache lies outside the project).
    cand_metrics = {
        "model": recorded_model(str(outside_model), evaluation / "adapter"),
        "adapter": recorded_path(adapter, evaluation / "adapter"),
    }
    assert cand_metrics == {"model": str(outside_model), "adapter": "../../../checkpoints/checkpoint-10"}
    candidate = write_side(
        evaluation / "adapter", {"symptoms": 12}, right=True, metrics=json.dumps(cand_metrics)
    )
    assert compare(base, candidate, evaluation) == 0
    comparison = json.loads((evaluation / "comparison.json").read_text())
    assert comparison["base"]["dir"] == "./base" and comparison["candidate"]["dir"] == "./adapter"
    assert comparison["candidate"]["adapter"] == "../../checkpoints/checkpoint-10"
    assert comparison["candidate"]["model"] == str(outside_model)
    assert resolve_recorded(comparison["candidate"]["adapter"], evaluation) == str(adapter)
    # A hub id is not a path and stays as given; so does an absolute path outside the project.
    assert (
        recorded_model("HuggingFaceTB/SmolLM2-135M-Instruct", evaluation)
        == "HuggingFaceTB/SmolLM2-135M-Instruct"
    )
    assert (
        resolve_recorded("HuggingFaceTB/SmolLM2-135M-Instruct", evaluation)
        == "HuggingFaceTB/SmolLM2-135M-Instruct"
    )
    assert (
        main(["score", "--predictions", str(base / "predictions.jsonl"), "--out", str(evaluation / "scored")])
        == 0
    )
    scored = json.loads((evaluation / "scored" / "metrics.json").read_text())
    assert scored["predictions_source"] == "../base/predictions.jsonl"
    # Copied elsewhere, the folder still finds its sibling evaluations.
    moved = tmp_path / "elsewhere"
    os.rename(project, moved)
    relocated = moved / ".medqa" / "runs" / "r1" / "evaluations" / "e1"
    assert Path(resolve_recorded(comparison["base"]["dir"], relocated)).is_dir()


def test_no_project_marker_keeps_siblings_relative_and_far_paths_absolute(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "out"
    assert recorded_path(tmp_path / "a" / "p.jsonl", folder) == "../p.jsonl"
    assert recorded_path(folder / "x", folder) == "./x"
    assert recorded_path(tmp_path / "b" / "p.jsonl", folder) == str(tmp_path / "b" / "p.jsonl")
    assert recorded_path("/", folder) == "/"


def test_the_retrieval_index_is_recorded_relative_to_metrics_json(tmp_path: Path) -> None:
    from medqa_trainer.retrieval.augment import RetrievalSetup

    project = tmp_path / "project"
    (project / ".medqa").mkdir(parents=True)
    index = project / ".medqa" / "indexes" / "train"
    out = project / ".medqa" / "runs" / "r1" / "evaluations" / "e1" / "adapter"
    setup = RetrievalSetup(index=None, manifest={"data_hash": "h", "settings": {}})  # type: ignore[arg-type]
    assert setup.describe(index, out)["index"] == "../../../../../indexes/train"
    assert "index" not in setup.describe()  # the decoding hash's part: no path at all
