"""`export-onnx --quantize int8|int4`: weight-only quantised exports made with onnxruntime's quantisers, checked
against the fp32 export by token agreement on MedQuAD questions (tiny Qwen3 here; SmolLM2 in test_onnx_export.py),
their manifest, and the messages for bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from test_onnx_export import (
    assert_files_match_manifest,
    export,
    make_adapter,
    medquad_questions,
    read_manifest,
)

from medqa_trainer.onnx_export import MANIFEST_NAME

pytestmark = pytest.mark.slow

QUESTIONS = 6
NEW_TOKENS = 12


@pytest.fixture(scope="module")
def questions_file(medquad_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("questions") / "questions.txt"
    path.write_text("\n".join(medquad_questions(medquad_dir, QUESTIONS)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def agreement_options(questions_file: Path) -> list[str]:
    return [
        "--questions",
        str(questions_file),
        "--validation-max-new-tokens",
        "4",
        "--agreement-max-new-tokens",
        str(NEW_TOKENS),
    ]


@pytest.fixture(scope="module")
def fp32_merged(
    tiny_model_dir: Path, agreement_options: list[str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A kept fp32 export of the tiny Qwen3 with a merged adapter, and that adapter."""
    root = tmp_path_factory.mktemp("fp32")
    adapter = make_adapter(tiny_model_dir, root / "run" / "checkpoint-3")
    out = root / "checkpoint-3"
    assert export(tiny_model_dir, out, "--adapter", str(adapter), *agreement_options[:4]) == 0
    return out, adapter


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def op_types(folder: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(folder / "onnx" / "model.onnx")).graph.node}


def accuracy_levels(folder: Path) -> set[int]:
    """The compute precision of every MatMulNBits node (4: int8 activations; absent: onnxruntime's fp32 default)."""
    import onnx

    graph = onnx.load(str(folder / "onnx" / "model.onnx")).graph
    return {
        next((a.i for a in node.attribute if a.name == "accuracy_level"), 0)
        for node in graph.node
        if node.op_type == "MatMulNBits"
    }


def assert_quantized_manifest(manifest: dict[str, Any], scheme: str) -> None:
    quantization = manifest["quantization"]
    assert quantization["scheme"] == scheme
    assert quantization["bits"] == (4 if scheme == "int4" else 8)
    assert quantization["block_size"] == 32 and quantization["method"].startswith("MatMulNBits")
    assert quantization["quantizer"].startswith("onnxruntime 1.")
    assert quantization["quantized_nodes"] > 0
    assert quantization["accuracy_level"] == 4
    agreement = quantization["agreement"]
    assert agreement["passed"] is True and agreement["agreement"] >= agreement["min_agreement"] > 0
    assert agreement["questions"] == QUESTIONS and agreement["max_new_tokens"] == NEW_TOKENS
    assert 0 < agreement["tokens"] <= QUESTIONS * NEW_TOKENS
    assert 0 <= agreement["greedy_identical"] <= QUESTIONS


@pytest.mark.parametrize("scheme", ["int8", "int4"])
def test_quantized_from_a_kept_fp32_export(
    fp32_merged: tuple[Path, Path], agreement_options: list[str], tmp_path: Path, scheme: str
) -> None:
    fp32, adapter = fp32_merged
    out = tmp_path / f"checkpoint-3-{scheme}"
    assert export_from(fp32, out, scheme, *agreement_options) == 0
    manifest = assert_files_match_manifest(out)
    assert_quantized_manifest(manifest, scheme)
    reference = read_manifest(fp32)
    # Same model and adapter as the fp32 export, so the Checkpoints view shows it under the same checkpoint.
    for key in ("format", "version", "model", "model_type", "adapter", "step", "validation"):
        assert manifest[key] == reference[key], key
    assert manifest["adapter"] == str(adapter.resolve()) and manifest["step"] == 3
    assert manifest["quantization"]["reference"] == {
        "dir": str(fp32.resolve()),
        "model_sha256": sha256(fp32 / "onnx" / "model.onnx"),
        "bytes": sum(r["bytes"] for r in reference["files"].values()),
    }
    assert set(manifest["files"]) == set(reference["files"])
    assert manifest["files"]["tokenizer.json"] == reference["files"]["tokenizer.json"]
    assert "MatMulNBits" in op_types(out) and "MatMulNBits" not in op_types(fp32)
    assert accuracy_levels(out) == {4}
    assert reference["quantization"] is None


def export_from(fp32: Path, out: Path, scheme: str, *extra: str) -> int:
    from medqa_trainer.cli import main

    return main(["export-onnx", "--from-export", str(fp32), "--quantize", scheme, "--out", str(out), *extra])


def test_quantized_in_one_go_keeps_only_the_quantized_folder(
    tiny_model_dir: Path, agreement_options: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "exports" / "tiny-int4"
    assert export(tiny_model_dir, out, "--quantize", "int4", "--block-size", "16", *agreement_options) == 0
    manifest = assert_files_match_manifest(out)
    assert manifest["quantization"]["block_size"] == 16 and manifest["quantization"]["scheme"] == "int4"
    assert manifest["quantization"]["reference"]["dir"] is None  # the fp32 graph was not kept
    assert manifest["adapter"] is None and manifest["validation"]["passed"] is True
    assert [p.name for p in out.parent.iterdir()] == ["tiny-int4"]


def scramble_weights(model: Any) -> None:
    """Every 4-bit weight block replaced by noise: the graph still runs but no longer follows the fp32 one."""
    import numpy as np
    from onnx import numpy_helper

    quantized = {n.input[1] for n in model.graph.node if n.op_type == "MatMulNBits"}
    rng = np.random.default_rng(0)
    for init in model.graph.initializer:
        if init.name in quantized:
            array = numpy_helper.to_array(init)
            init.CopyFrom(
                numpy_helper.from_array(rng.integers(0, 255, array.shape, dtype=array.dtype), init.name)
            )


def test_a_quantization_that_drifts_fails_clearly_and_leaves_nothing(
    fp32_merged: tuple[Path, Path],
    agreement_options: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import onnx

    from medqa_trainer import onnx_quantize

    real = onnx_quantize.quantize_graph

    def broken(source: Path, target: Path, *args: Any) -> dict[str, Any]:
        record = real(source, target, *args)
        model = onnx.load(str(target))
        scramble_weights(model)
        onnx.save(model, str(target))
        return record

    monkeypatch.setattr(onnx_quantize, "quantize_graph", broken)
    out = tmp_path / "drifted"
    assert export_from(fp32_merged[0], out, "int4", *agreement_options) == 1
    err = capsys.readouterr().err
    assert "the int4 graph does not follow the fp32 export" in err
    assert "below the minimum 50%" in err
    assert list(tmp_path.iterdir()) == []


def test_bad_quantize_arguments_are_named(
    fp32_merged: tuple[Path, Path], tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fp32, adapter = fp32_merged
    from medqa_trainer.cli import main

    def fails(*args: str) -> str:
        assert main(["export-onnx", "--out", str(tmp_path / "out"), *args]) == 2
        return capsys.readouterr().err

    assert "give --quantize int8 or int4 with it" in fails("--from-export", str(fp32))
    assert "drop --model and --adapter" in fails(
        "--from-export", str(fp32), "--quantize", "int4", "--model", str(tiny_model_dir)
    )
    assert "give --model" in fails("--quantize", "int4")
    assert "--block-size 24: give a power of two" in fails(
        "--model", str(tiny_model_dir), "--quantize", "int4", "--block-size", "24"
    )
    assert "--min-agreement 2.0: give a share between 0 and 1" in fails(
        "--from-export", str(fp32), "--quantize", "int8", "--min-agreement", "2"
    )
    missing = tmp_path / "nothing"
    assert f"--from-export {missing} does not exist" in fails(
        "--from-export", str(missing), "--quantize", "int4"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"{empty / MANIFEST_NAME} is missing" in fails("--from-export", str(empty), "--quantize", "int4")
    assert "is not a LoRA adapter folder" not in fails("--from-export", str(adapter), "--quantize", "int4")
    assert not (tmp_path / "out").exists()


def test_a_quantized_export_is_not_quantized_again(
    fp32_merged: tuple[Path, Path],
    agreement_options: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    int8 = tmp_path / "int8"
    assert export_from(fp32_merged[0], int8, "int8", *agreement_options) == 0
    capsys.readouterr()
    assert export_from(int8, tmp_path / "again", "int4") == 2
    assert "is already quantised (int8); --from-export needs the fp32 export" in capsys.readouterr().err
