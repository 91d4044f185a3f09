"""Command line: `python -m medqa_trainer <command>`. Each command lives in its own module and is imported
lazily, so `doctor` and `--help` answer without importing torch."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from medqa_trainer import PROTOCOL_VERSION, __version__

# command name -> (module, help). Each module defines `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("medqa_trainer.doctor", "report Python, package versions and CUDA availability"),
    "make-tiny-model": ("medqa_trainer.tiny_model", "build a tiny random-weight Qwen3 for tests and demos"),
    "evaluate": ("medqa_trainer.evaluate", "generate answers for a test split and score them (metrics.json)"),
    "score": ("medqa_trainer.score", "score a predictions file (reference + prediction) without a model"),
    "compare": ("medqa_trainer.compare", "base vs candidate evaluation with paired bootstrap tests"),
    "setup-wordnet": (
        "medqa_trainer.wordnet_setup",
        "copy Debian's WordNet into an nltk_data folder for METEOR",
    ),
    "models": ("medqa_trainer.models", "the local model catalogue: list, install NAME, path NAME"),
    "export-onnx": (
        "medqa_trainer.onnx_export",
        "export a model (+ merged LoRA adapter) to ONNX for in-editor inference",
    ),
    "index": (
        "medqa_trainer.retrieval.build_cli",
        "build a retrieval index over answered QA pairs (index build)",
    ),
    "retrieve": (
        "medqa_trainer.retrieval.retrieve_cli",
        "the top-k QA pairs of a retrieval index for questions",
    ),
    "baseline": (
        "medqa_trainer.retrieval.baseline_cli",
        "the retrieval baseline: each test question answered with the best-matching indexed answer",
    ),
    "train": (
        "medqa_trainer.train",
        "fine-tune a LoRA/QLoRA adapter from run.yaml (events to <output_dir>/events.jsonl)",
    ),
    "submit": (
        "medqa_trainer.slurm",
        "submit --slurm run.yaml: write slurm.sbatch beside the run and sbatch it",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medqa_trainer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=help_text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


# The extension names the event protocol it reads; a trainer that writes another one says which side to update
# before doing any work (exit 3), instead of writing events the extension would skip.
EXPECTED_PROTOCOL_ENV = "MEDQA_EXPECT_PROTOCOL"


def protocol_problem(expected: str | None) -> str | None:
    if not expected:
        return None
    try:
        wanted = int(expected)
    except ValueError:
        return f"{EXPECTED_PROTOCOL_ENV}={expected!r} is not a protocol version number."
    if wanted == PROTOCOL_VERSION:
        return None
    side = (
        "Update the trainer (MedQA: Set Up Python Environment), which is older than the extension."
        if wanted > PROTOCOL_VERSION
        else "Update the MedQA Studio extension, which is older than this trainer."
    )
    return (
        f"medqa_trainer {__version__} writes protocol version {PROTOCOL_VERSION}, the extension reads version "
        f"{wanted}. {side}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # doctor reports the version itself, so the extension can explain a mismatch from its report.
    problem = None if args.command == "doctor" else protocol_problem(os.environ.get(EXPECTED_PROTOCOL_ENV))
    if problem:
        print(f"medqa_trainer: {problem}", file=sys.stderr)
        return 3
    run: Callable[[argparse.Namespace], int] = args._run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
