"""`python -m medqa_trainer` and the `medqa-trainer` script work from any folder (setup installs the package
editable into the venv), as trainer/README.md tells users to run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import medqa_trainer


def _clean_env() -> dict[str, str]:
    # Without the PYTHONPATH the test harness sets: only the installed package can be found.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDQA_EXPECT_PROTOCOL")}


def test_module_runs_from_another_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "medqa_trainer", "doctor", "--json"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"{done.stderr}\nRun ./studio setup: it installs medqa_trainer into the venv."
    )
    assert '"protocol_version"' in done.stdout


def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "medqa-trainer"
    assert script.exists(), "Run ./studio setup: it installs the medqa-trainer script into the venv."
    done = subprocess.run(
        [str(script), "--help"], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "make-tiny-model" in done.stdout


def test_the_installed_package_is_this_checkout() -> None:
    here = Path(__file__).resolve().parents[1] / "medqa_trainer"
    assert Path(medqa_trainer.__file__).resolve().parent == here
