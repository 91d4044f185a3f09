"""`./studio setup` gives each clone its own trainer on top of one cached venv (issue 22, adversary 10).

Two scratch clones share the cached venv, as two checkouts of the same requirements do. Before, the venv held one
editable medqa_trainer, pointing at whichever clone ran setup last, so `python -m medqa_trainer` in clone A ran B's
code. The cached venv here is a stand-in layered on this test's own packages, so nothing real is installed or
touched, and the setup functions run exactly as ./studio runs them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy

REPO = Path(__file__).resolve().parents[2]


def bash(script: str, clone: Path, tools: Path) -> str:
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source scripts/lib.sh; source scripts/setup.sh; {script}"],
        cwd=clone,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tools.parent),
            "REPO_ROOT": str(clone),
            "MEDQA_TOOLS_DIR": str(tools),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def make_clone(folder: Path, name: str) -> Path:
    (folder / "scripts").mkdir(parents=True)
    for script in ("lib.sh", "setup.sh", "trainer_requirements.py"):
        shutil.copy(REPO / "scripts" / script, folder / "scripts" / script)
    package = folder / "trainer" / "medqa_trainer"
    package.mkdir(parents=True)
    shutil.copy(REPO / "trainer" / "pyproject.toml", folder / "trainer" / "pyproject.toml")
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(f"def main():\n    print('code of {name}')\n    return 0\n")
    (package / "__main__.py").write_text("from medqa_trainer.cli import main\n\nraise SystemExit(main())\n")
    return folder


def run_trainer(clone: Path, *command: str) -> str:
    done = subprocess.run(
        [str(clone / ".venv" / "bin" / command[0]), *command[1:]],
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "PYTHONSAFEPATH": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_clones_each_run_their_own_trainer(tmp_path: Path) -> None:
    tools = tmp_path / "home" / "tools"
    (tools / "logs").mkdir(parents=True)
    a = make_clone(tmp_path / "clone-a", "a")
    b = make_clone(tmp_path / "clone-b", "b")
    # The cached venv of these requirements, marked as installed: a stand-in that sees this test's packages.
    digest = bash("requirements_hash", a, tools)
    shared = tools / f"venv-{digest}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(shared)], check=True)
    shared_site = Path(
        subprocess.run(
            [str(shared / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    packages = Path(numpy.__file__).resolve().parents[1]
    (shared_site / "packages.pth").write_text(f"import site; site.addsitedir({str(packages)!r})\n")
    # What the old setup left there: an editable install of the last clone that ran it (b).
    (shared_site / "__editable__.medqa_trainer-0.1.0.pth").write_text(f"{b / 'trainer'}\n")
    (shared / ".medqa-requirements.sha").write_text(digest + "\n")

    for clone in (a, b):
        bash("setup_venv; setup_trainer_package", clone, tools)
    assert run_trainer(a, "python", "-m", "medqa_trainer") == "code of a"
    assert run_trainer(b, "python", "-m", "medqa_trainer") == "code of b"
    assert run_trainer(a, "medqa-trainer") == "code of a"
    # The cached packages are there, and the clone's .venv/bin/python is what the extension looks for.
    assert run_trainer(a, "python", "-c", "import numpy; print('numpy')") == "numpy"
    assert (a / ".venv").is_symlink() and (a / ".venv" / "bin" / "python").exists()

    started = time.monotonic()
    bash("setup_venv; setup_trainer_package", a, tools)  # warm: nothing to do
    assert time.monotonic() - started < 10
    assert run_trainer(a, "python", "-m", "medqa_trainer") == "code of a"
