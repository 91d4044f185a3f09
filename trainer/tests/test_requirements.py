"""The trainer's packages are listed once, in pyproject.toml: the requirements files are generated from it and must
not drift, every pin is exact, and every runtime package is one the trainer uses (`datasets` was pinned, imported
nowhere, and still demanded by doctor)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "trainer_requirements.py"
PACKAGE = REPO / "trainer" / "medqa_trainer"

# Runtime packages that medqa_trainer needs without importing them itself, and why.
USED_WITHOUT_IMPORT = {
    "accelerate": "transformers' Trainer requires it",
    "gguf": "transformers reads the GGUF file of a catalogue model with it (models install)",
    "onnxscript": "torch's dynamo ONNX exporter (export-onnx --exporter dynamo)",
    "tensorboard": "report_to: tensorboard, through the HF Trainer's TensorBoardCallback (tracking.py checks for it)",
    "mlflow-skinny": "report_to: mlflow, through the HF Trainer's MLflowCallback (tracking.py checks for it)",
}
# Distribution name → the module it installs, where they differ.
MODULE_OF = {"PyYAML": "yaml", "rouge-score": "rouge_score", "PyStemmer": "Stemmer"}


def script(*args: str, trainer: Path | None = None) -> subprocess.CompletedProcess[str]:
    where = ["--trainer", str(trainer)] if trainer else []
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, *where], capture_output=True, text=True, timeout=60
    )


def scratch_trainer(tmp_path: Path) -> Path:
    folder = tmp_path / "trainer"
    folder.mkdir()
    for name in ("pyproject.toml", "requirements.txt", "requirements-cuda.txt"):
        shutil.copy(REPO / "trainer" / name, folder / name)
    return folder


def runtime_pins() -> list[str]:
    done = script()
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_requirements_files_are_what_pyproject_gives() -> None:
    done = script("--check")
    assert done.returncode == 0, done.stderr


def test_a_pin_changed_on_one_side_only_is_drift(tmp_path: Path) -> None:
    trainer = scratch_trainer(tmp_path)
    assert script("--check", trainer=trainer).returncode == 0
    pyproject = trainer / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"numpy==2.4.6"', '"numpy==2.4.7"'))
    done = script("--check", trainer=trainer)
    assert done.returncode == 1
    assert "trainer/requirements.txt differs from pyproject.toml" in done.stderr
    assert script("--write", trainer=trainer).returncode == 0
    assert "numpy==2.4.7\n" in (trainer / "requirements.txt").read_text()
    assert script("--check", trainer=trainer).returncode == 0
    (trainer / "requirements-cuda.txt").write_text("-r requirements.txt\nbitsandbytes==0.50.2\n")
    assert "trainer/requirements-cuda.txt differs" in script("--check", trainer=trainer).stderr


def test_a_loose_pin_is_refused(tmp_path: Path) -> None:
    trainer = scratch_trainer(tmp_path)
    pyproject = trainer / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"torch==2.13.0"', '"torch>=2.13"'))
    done = script(trainer=trainer)
    assert done.returncode != 0 and "pin exactly (name==version): torch>=2.13" in done.stderr


def test_setup_installs_the_dev_extra_on_top_of_the_runtime_packages() -> None:
    done = script("dev")
    assert done.returncode == 0, done.stderr
    pins = done.stdout.split()
    assert pins[: len(runtime_pins())] == runtime_pins()
    assert {"torch==2.13.0", "pytest==9.2.0", "matplotlib==3.11.2"} <= set(pins)
    # bitsandbytes is a runtime package (its CPU backend runs nf4); DeepSpeed stays in the cuda extra.
    assert any(pin.startswith("bitsandbytes==") for pin in pins)
    assert not any(pin.startswith("deepspeed") for pin in pins)
    assert script("nosuchextra").returncode != 0


@pytest.mark.parametrize("pin", runtime_pins())
def test_every_runtime_package_is_used(pin: str) -> None:
    name = pin.split("==")[0]
    if name in USED_WITHOUT_IMPORT:
        return
    module = MODULE_OF.get(name, name.replace("-", "_"))
    imports = re.compile(rf"^\s*(?:import|from) {re.escape(module)}(?:[.\s]|$)", re.MULTILINE)
    users = [file.name for file in PACKAGE.rglob("*.py") if imports.search(file.read_text(encoding="utf-8"))]
    assert users, f"{name} is pinned in pyproject.toml but medqa_trainer never imports {module}"
