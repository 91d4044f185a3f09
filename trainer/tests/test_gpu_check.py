"""bench/gpu_check.py, the GPU check in one command: what it does on a machine without a GPU (this CI), and its ratios.

The check itself needs a CUDA GPU (and `--cpu-smoke` minutes of a CPU), so CI only holds it to failing clearly."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench" / "gpu_check.py"


def load_check() -> Any:
    spec = importlib.util.spec_from_file_location("gpu_check", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_gpu_it_exits_2_and_says_what_to_do(tmp_path: Path) -> None:
    out = tmp_path / "gpu_check.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--out", str(out)],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},  # no GPU, also on a machine that has one
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "gpu_check: no CUDA GPU" in done.stderr and "--cpu-smoke" in done.stderr
    assert not out.exists()


def test_the_ratios_compare_nf4_with_the_16_bit_run_and_stay_empty_when_one_failed() -> None:
    check = load_check()

    def mode(precision: str, tokens: float, memory: float, loss: float) -> dict[str, Any]:
        return {
            "base_precision": precision,
            "train": {"tokens_per_second": tokens, "loss_after_steps": loss},
            "evaluation": {"new_tokens_per_second": tokens / 10},
            "peak_gpu_memory_mib": memory,
            "peak_rss_mib": 1000.0,
        }

    ratios = check.compare({"nf4": mode("nf4", 5000, 900, 1.9), "none": mode("bf16", 10000, 1800, 1.8)})
    assert ratios["reference"] == "bf16"
    assert ratios["train_tokens_per_second_nf4_over_reference"] == 0.5
    assert ratios["peak_gpu_memory_nf4_over_reference"] == 0.5
    assert ratios["evaluation_tokens_per_second_nf4_over_reference"] == 0.5
    assert ratios["loss_after_steps"] == {"nf4": 1.9, "reference": 1.8}
    assert check.compare({"nf4": {"error": "exit 1"}, "none": mode("bf16", 1, 1, 1)}) == {}
