"""Command line: `python -m medqa_trainer <command>`. Each command lives in its own module and is imported
lazily, so `doctor` and `--help` answer without importing torch."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

# command name -> (module, help). Each module defines `add_arguments(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("medqa_trainer.doctor", "report Python, package versions and CUDA availability"),
    "make-tiny-model": ("medqa_trainer.tiny_model", "build a tiny random-weight Qwen3 for tests and demos"),
    "evaluate": ("medqa_trainer.evaluate", "generate answers for a test split and score them (metrics.json)"),
    "score": ("medqa_trainer.score", "score a predictions file (reference + prediction) without a model"),
    "compare": ("medqa_trainer.compare", "base vs candidate evaluation with paired bootstrap tests"),
    "setup-wordnet": ("medqa_trainer.wordnet_setup", "copy Debian's WordNet into an nltk_data folder for METEOR"),
    "models": ("medqa_trainer.models", "the local model catalogue: list, install NAME, path NAME"),
    "train": ("medqa_trainer.train", "fine-tune a LoRA/QLoRA adapter from run.yaml (events to <output_dir>/events.jsonl)"),
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args._run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
