"""`doctor`: what the extension needs to know before it launches anything (printed as JSON on stdout)."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import sys
from typing import Any

from medqa_trainer import PROTOCOL_VERSION, __version__

PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "sacrebleu",
    "rouge-score",
    "nltk",
    "onnx",
    "onnxruntime",
    "bm25s",  # index build / retrieve / baseline
    "PyStemmer",
    "bitsandbytes",  # quantization: nf4 (QLoRA), on CUDA and, through its CPU backend, on a CPU
    "tensorboard",  # report_to: tensorboard
    "mlflow-skinny",  # report_to: mlflow
)
OPTIONAL_PACKAGES = ("deepspeed",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON (the default is text)")


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def report() -> dict[str, Any]:
    cuda: dict[str, Any] = {"available": False, "devices": [], "bf16": False}
    if package_version("torch") is not None:
        import torch

        if torch.cuda.is_available():
            cuda = {
                "available": True,
                "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
                "bf16": bool(torch.cuda.is_bf16_supported()),
            }
    return {
        "python": platform.python_version(),
        "executable": sys.executable,
        "packages": {name: package_version(name) for name in PACKAGES},
        "optional_packages": {name: package_version(name) for name in OPTIONAL_PACKAGES},
        "cuda": cuda,
        "trainer_version": __version__,
        "protocol_version": PROTOCOL_VERSION,
    }


def run(args: argparse.Namespace) -> int:
    result = report()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    missing = [name for name, version in result["packages"].items() if version is None]
    if missing:
        print(f"missing packages: {', '.join(missing)}", file=sys.stderr)
    return 0
