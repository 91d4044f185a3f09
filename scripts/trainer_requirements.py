#!/usr/bin/env python3
"""The trainer's Python packages, read from trainer/pyproject.toml: the one place they are listed.

    trainer_requirements.py [EXTRA...]   the runtime pins plus those extras' pins, one a line (./studio setup
                                         installs `dev` from this into its cached venv)
    trainer_requirements.py --write      regenerate trainer/requirements.txt and trainer/requirements-cuda.txt
    trainer_requirements.py --check      exit 1 when those files differ from what --write would write

The two requirements files exist for the packaged extension: its "Set Up Python Environment" command installs
requirements.txt, and the GPU hints name requirements-cuda.txt. Every pin must be exact (`name==version`): a bare
`torch` lets pip pick a multi-GB CUDA build where the CPU build is wanted. Standard library only (run by the
system python3 before any venv exists).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

TRAINER = Path(__file__).resolve().parents[1] / "trainer"
EXACT_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")
HEADER = "# Generated from pyproject.toml by scripts/trainer_requirements.py --write: edit pyproject.toml, not this file.\n"


def pins(trainer: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads((trainer / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    optional = project.get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in optional]
    if unknown:
        raise SystemExit(
            f"pyproject.toml has no extra {', '.join(unknown)} (it has {', '.join(optional)})"
        )
    listed = list(project["dependencies"]) + [
        pin for extra in extras for pin in optional[extra]
    ]
    loose = [pin for pin in listed if not EXACT_PIN.match(pin)]
    if loose:
        raise SystemExit(
            f"pyproject.toml: pin exactly (name==version): {', '.join(loose)}"
        )
    return listed


def generated(trainer: Path) -> dict[str, str]:
    runtime = "".join(f"{pin}\n" for pin in pins(trainer, []))
    cuda = [pin for pin in pins(trainer, ["cuda"]) if pin not in pins(trainer, [])]
    return {
        "requirements.txt": HEADER
        + "# The trainer's runtime packages, pinned exactly.\n"
        + runtime,
        "requirements-cuda.txt": HEADER
        + "# Extra packages for the GPU path (QLoRA and DeepSpeed); install on a CUDA machine only.\n"
        + "-r requirements.txt\n"
        + "".join(f"{pin}\n" for pin in cuda),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "extras", nargs="*", help="extras of pyproject.toml to add (dev, cuda)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write", action="store_true", help="regenerate the requirements files"
    )
    mode.add_argument(
        "--check", action="store_true", help="fail when the requirements files drifted"
    )
    parser.add_argument(
        "--trainer", type=Path, default=TRAINER, help="the folder with pyproject.toml"
    )
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write("".join(f"{pin}\n" for pin in pins(args.trainer, args.extras)))
        return 0
    drifted = []
    for name, text in generated(args.trainer).items():
        file = args.trainer / name
        if args.write:
            file.write_text(text, encoding="utf-8")
        elif not file.exists() or file.read_text(encoding="utf-8") != text:
            drifted.append(name)
    if drifted:
        names = " and ".join(f"trainer/{name}" for name in drifted)
        verb = "differs" if len(drifted) == 1 else "differ"
        print(
            f"{names} {verb} from pyproject.toml: run scripts/trainer_requirements.py --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
