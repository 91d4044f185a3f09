"""`evaluate --engine onnx`: the export's graph on onnxruntime answers as PyTorch `generate` does (fp32, greedy),
on the tiny Qwen3 and on SmolLM2, and records the engine and its agreement with PyTorch."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_evaluate import rows_of, talkative_model_dir  # noqa: F401 (a fixture, used by name)

from medqa_trainer.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.shared]

TRAINER_DIR = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).parent / "fixtures" / "eval" / "test.jsonl"


def evaluate(out: Path, *extra: str) -> int:
    return main(["evaluate", "--data", str(TEST_DATA), "--out", str(out), "--bootstrap", "50", *extra])


@pytest.fixture(scope="module")
def talkative_export(talkative_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("onnx") / "export"
    args = ["export-onnx", "--model", str(talkative_model_dir), "--out", str(out)]
    assert main([*args, "--validation-max-new-tokens", "4"]) == 0
    return out


def test_onnx_engine_answers_as_pytorch_does(
    talkative_model_dir: Path,  # noqa: F811
    talkative_export: Path,
    tmp_path: Path,
) -> None:
    # 6 prompts of different lengths (left padding), and the repetition penalty the cpu-small preset proposes.
    settings = ["--max-new-tokens", "20", "--batch-size", "4", "--repetition-penalty", "1.3"]
    assert evaluate(tmp_path / "torch", "--model", str(talkative_model_dir), *settings) == 0
    assert evaluate(tmp_path / "onnx", "--engine", "onnx", "--export", str(talkative_export), *settings) == 0
    torch_rows = {r["id"]: r for r in rows_of(tmp_path / "torch" / "predictions.jsonl")}
    onnx_rows = {r["id"]: r for r in rows_of(tmp_path / "onnx" / "predictions.jsonl")}
    assert onnx_rows.keys() == torch_rows.keys() and len(onnx_rows) == 6
    assert sum(bool(r["prediction"].strip()) for r in torch_rows.values()) >= 4, (
        "answers too empty to compare"
    )
    for key, row in onnx_rows.items():
        expected = torch_rows[key]
        assert (row["prediction"], row["new_tokens"], row["truncated"]) == (
            expected["prediction"],
            expected["new_tokens"],
            expected["truncated"],
        )
        assert row["answer_tokens"] == expected["answer_tokens"]
        assert row["loss_sum"] == pytest.approx(expected["loss_sum"], rel=1e-4)
    torch_metrics = json.loads((tmp_path / "torch" / "metrics.json").read_text(encoding="utf-8"))
    onnx_metrics = json.loads((tmp_path / "onnx" / "metrics.json").read_text(encoding="utf-8"))
    assert "engine" not in torch_metrics["decoding"] and torch_metrics["engine"] == {"name": "torch"}
    assert onnx_metrics["decoding"]["engine"] == "onnx:fp32"
    assert onnx_metrics["decoding"]["hash"] != torch_metrics["decoding"]["hash"]
    engine = onnx_metrics["engine"]
    assert engine["name"] == "onnx" and engine["quantization"] == "none" and engine["threads"] >= 1
    assert Path(tmp_path / "onnx", engine["export"]).resolve() == talkative_export.resolve()
    assert engine["agreement"] is None  # not asked for
    # The model and adapter are the export's own, recorded as for a PyTorch evaluation.
    assert onnx_metrics["model"] == torch_metrics["model"] and onnx_metrics["adapter"] is None
    assert onnx_metrics["overall"]["perplexity"]["value"] == pytest.approx(
        torch_metrics["overall"]["perplexity"]["value"], rel=1e-4
    )


def test_answer_losses_do_not_depend_on_the_batch_or_the_kept_logits(talkative_export: Path) -> None:
    """Rows of other lengths in the same call (left padded, regrouped by length, given back in order), and graphs
    that return every position's logits (exports before num_logits_to_keep), give each row's loss alone."""
    from medqa_trainer.generation_onnx import OnnxExport, OnnxGenerator

    generator = OnnxGenerator(OnnxExport.read(talkative_export), threads=1)
    prompts = [[101, 102, 103], [104, 105, 106, 107, 108, 109, 110], [111, 112]]
    answers = [[201, 202, 203, 204, 205, 206, 207, 208], [301], [401, 402, 403]]
    alone = [generator.answer_losses([p], [a], pad_id=0)[0] for p, a in zip(prompts, answers, strict=True)]
    together = generator.answer_losses(prompts, answers, pad_id=0)

    class EveryPosition:
        """The decoder of an export made before num_logits_to_keep: every position's logits, whatever is asked."""

        keeps_logits = False

        def __init__(self, decoder: Any) -> None:
            self.decoder = decoder

        def step(self, *feeds: Any) -> Any:
            return self.decoder.step(*feeds[:4], logits_to_keep=0)

        def empty_past(self, rows: int) -> Any:
            return self.decoder.empty_past(rows)

    generator.decoder = EveryPosition(generator.decoder)
    every_position = generator.answer_losses(prompts, answers, pad_id=0)
    for losses in (together, every_position):
        assert [count for _, count in losses] == [8, 1, 3]
        assert [loss for loss, _ in losses] == pytest.approx([loss for loss, _ in alone], rel=1e-5)


def test_agreement_check_counts_identical_answers(talkative_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "onnx"
    args = ["--engine", "onnx", "--export", str(talkative_export), "--max-new-tokens", "12"]
    assert evaluate(out, *args, "--batch-size", "4", "--check-agreement", "5", "--no-perplexity") == 0
    agreement = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["engine"]["agreement"]
    assert agreement["examples"] == 5 and agreement["identical"] == 5 and agreement["rate"] == 1.0
    assert agreement["expected"] == "identical" and agreement["different_ids"] == []
    assert agreement["metrics"]["f1"]["difference"] == 0.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "onnx"], "--engine onnx needs --export DIR"),
        (["--model", "m", "--export", "x"], "--export is read by --engine onnx only"),
        (["--engine", "onnx", "--export", "x", "--do-sample"], "drop --do-sample"),
        (["--engine", "onnx", "--export", "{missing}"], "does not exist"),
        (["--engine", "onnx", "--export", "{no_manifest}"], "has no medqa-onnx.json"),
        (
            ["--engine", "onnx", "--export", "{export}", "--adapter", "{no_manifest}"],
            "was made from the base",
        ),
    ],
)
def test_bad_engine_arguments_are_named(
    talkative_export: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    (tmp_path / "plain").mkdir()
    folders = {"missing": tmp_path / "nowhere", "no_manifest": tmp_path / "plain", "export": talkative_export}
    args = [arg.format(**folders) for arg in extra]
    assert evaluate(tmp_path / "out", *args) == 2
    assert message in capsys.readouterr().err


def smollm2_export(source: Path) -> Path:
    """The SmolLM2 export the Node engine tests use (test/unit/inference/testExports.ts): the same cache folder,
    keyed by the exporter's source files and the model, exported here when it is not there yet."""
    digest = hashlib.sha256(str(source).encode())
    for path in sorted((TRAINER_DIR / "medqa_trainer").glob("onnx_*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update((source / "config.json").read_bytes())
    tools = Path(os.environ.get("MEDQA_TOOLS_DIR") or Path.home() / ".cache" / "medqa-studio" / "tools")
    out = tools / "onnx-test-exports" / f"smollm2-{digest.hexdigest()[:16]}"
    if not (out / "medqa-onnx.json").is_file():
        assert main(["export-onnx", "--model", str(source), "--out", str(out), "--force"]) == 0
    return out


def test_smollm2_four_examples_identical_to_pytorch(smollm2_dir: Path, tmp_path: Path) -> None:
    export = smollm2_export(smollm2_dir)
    out = tmp_path / "onnx"
    args = ["--engine", "onnx", "--export", str(export), "--limit", "4", "--batch-size", "4"]
    assert evaluate(out, *args, "--max-new-tokens", "32", "--check-agreement", "4") == 0
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 4 and metrics["engine"]["quantization"] == "none"
    agreement = metrics["engine"]["agreement"]
    assert (agreement["examples"], agreement["identical"]) == (4, 4), agreement
    assert all(row["prediction"].strip() for row in rows_of(out / "predictions.jsonl"))
