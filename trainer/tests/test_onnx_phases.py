"""`export-onnx` progress lines: the numbered phase lines the extension turns into phases, an estimate and a moving
bar (src/inference/exportProgress.ts parses them), in order, on stderr, and nothing else numbered like them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medqa_trainer.cli import main
from medqa_trainer.onnx_export import PHASES, phase_line

# What src/inference/exportProgress.ts accepts as a phase line (its EXPORT_PHASES has ours first, then these four).
PHASE_LINE = re.compile(r"^export-onnx: \[(\d+)/(\d+)\] (.+)$")


def test_phase_line_format() -> None:
    assert PHASES == ("load", "export", "validate", "write")
    assert phase_line("load", "loading x") == "[1/4] loading x"
    assert phase_line("write", "writing") == "[4/4] writing"
    with pytest.raises(ValueError):
        phase_line("unknown", "x")


@pytest.mark.slow
def test_tiny_export_prints_every_phase_once_in_order(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "questions.txt"
    questions.write_text("What are the symptoms of diabetes?\n", encoding="utf-8")
    out = tmp_path / "export"
    code = main(
        [
            "export-onnx",
            "--model",
            str(tiny_model_dir),
            "--out",
            str(out),
            "--questions",
            str(questions),
            "--validation-max-new-tokens",
            "2",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().err.splitlines()
    numbered = [m for m in map(PHASE_LINE.match, lines) if m]
    assert [(int(m[1]), int(m[2])) for m in numbered] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # The export phase names the model's size: the extension records it with the measured time for estimates.
    assert re.search(r"\b\d+ M parameters\b", numbered[1][3])
    # Details stay unnumbered and come after the phase they belong to; the last line says it is done.
    assert any(line.startswith("export-onnx: exported in ") for line in lines)
    assert [line for line in lines if line.startswith("export-onnx: ")][-1].startswith("export-onnx: done: ")
