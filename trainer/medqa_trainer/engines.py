"""The two generation engines of `evaluate`: PyTorch `generate` (the default) and onnxruntime on an export-onnx folder.

Both answer the same batches (longest prompts first, left padded) and score the answer-only loss; `agreement` runs
the PyTorch path on the first examples of an ONNX evaluation and says how many answers came out identical, and what
that does to the metrics (fp32: identical; int8/int4: the drift).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medqa_trainer.generation import Decoding, Generated

ENGINES = ("torch", "onnx")
# Answers generated together when --batch-size is not given. A decoding step on a CPU is bound by reading the
# weights, so onnxruntime answers 32 rows for less than twice the time of 8 (SmolLM2 fp32, 2 cores, 150 cached
# tokens: 8 rows 61 ms a step, 32 rows 99 ms); PyTorch keeps the batch the extension has always used.
DEFAULT_BATCH_SIZE = {"torch": 8, "onnx": 32}


class EngineArgumentError(ValueError):
    """The engine options contradict each other or the export; the message says which flag to change."""


def engine_label(engine: str, quantization: str) -> str | None:
    """The part of the decoding (and its hash) that names the engine: absent for PyTorch, as before engines existed."""
    return None if engine == "torch" else f"onnx:{'fp32' if quantization == 'none' else quantization}"


@dataclass
class TorchEngine:
    model: Any
    tokenizer: Any
    device: Any
    dtype: Any

    @classmethod
    def load(cls, model_name: str, adapter: str | None, dtype_name: str) -> TorchEngine:
        from medqa_trainer import generation

        device, dtype = generation.pick_device_and_dtype(dtype_name)
        model, tokenizer = generation.load_model_and_tokenizer(model_name, adapter, device, dtype)
        return cls(model, tokenizer, device, dtype)

    def generate(
        self, prompts: Sequence[Sequence[int]], decoding: Decoding, cancel: threading.Event | None
    ) -> list[Generated] | None:
        from medqa_trainer import generation

        return generation.generate_batch(self.model, self.tokenizer, prompts, decoding, cancel)

    def losses(
        self, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]]
    ) -> list[tuple[float, int]]:
        from medqa_trainer import generation

        return generation.answer_losses(self.model, prompts, answers, int(self.tokenizer.pad_token_id))

    def runtime(self) -> dict[str, Any]:
        return {"device": str(self.device), "dtype": str(self.dtype).removeprefix("torch.")}

    def describe(self) -> dict[str, Any]:
        return {"name": "torch"}


@dataclass
class OnnxEngine:
    generator: Any  # generation_onnx.OnnxGenerator
    tokenizer: Any
    stop: list[int]
    agreement: dict[str, Any] | None = field(default=None)

    @classmethod
    def load(cls, export_dir: Path, threads: int | None) -> OnnxEngine:
        from transformers import AutoTokenizer

        from medqa_trainer.generation import stop_ids
        from medqa_trainer.generation_onnx import ExportStops, OnnxExport, OnnxGenerator

        export = OnnxExport.read(export_dir)
        tokenizer = AutoTokenizer.from_pretrained(str(export_dir), local_files_only=True)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        stop = stop_ids(tokenizer, ExportStops(export_dir))
        return cls(OnnxGenerator(export, threads), tokenizer, stop)

    @property
    def quantization(self) -> str:
        return str(self.generator.export.quantization)

    def generate(
        self, prompts: Sequence[Sequence[int]], decoding: Decoding, cancel: threading.Event | None
    ) -> list[Generated] | None:
        from medqa_trainer.generation_onnx import to_generated

        answers = self.generator.generate_batch(
            prompts, decoding, self.stop, int(self.tokenizer.pad_token_id), cancel
        )
        return None if answers is None else to_generated(self.tokenizer, answers, decoding.max_new_tokens)

    def losses(
        self, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]]
    ) -> list[tuple[float, int]]:
        result: list[tuple[float, int]] = self.generator.answer_losses(
            prompts, answers, int(self.tokenizer.pad_token_id)
        )
        return result

    def runtime(self) -> dict[str, Any]:
        return {"device": "cpu", "dtype": "fp32" if self.quantization == "none" else self.quantization}

    def describe(self, out: Path) -> dict[str, Any]:
        from medqa_trainer.recorded_paths import recorded_path

        export = self.generator.export
        return {
            "name": "onnx",
            "runtime": "onnxruntime (Python, CPUExecutionProvider)",
            "export": recorded_path(str(export.folder), out),
            "graph": export.graph.relative_to(export.folder).as_posix(),
            "quantization": self.quantization,
            "threads": self.generator.threads,
            "spinning": self.generator.spinning,
            "agreement": self.agreement,
        }


def check_engine_arguments(args: Any) -> None:
    """Refuses combinations the ONNX engine cannot honour, before anything loads."""
    if args.engine == "torch":
        if args.export is not None:
            raise EngineArgumentError(
                "--export is read by --engine onnx only; add --engine onnx or drop --export"
            )
        if args.check_agreement:
            raise EngineArgumentError(
                "--check-agreement compares --engine onnx with PyTorch; add --engine onnx"
            )
        return
    if args.export is None:
        raise EngineArgumentError(
            "--engine onnx needs --export DIR: an export-onnx folder of the model (and adapter) to evaluate"
        )
    unsupported = [
        flag
        for flag, used in (
            ("--do-sample", args.do_sample),
            ("--dtype", args.dtype != "auto"),
        )
        if used
    ]
    if unsupported:
        raise EngineArgumentError(
            f"--engine onnx decodes greedily in the export's own precision: drop {', '.join(unsupported)} "
            "or use --engine torch"
        )
    if args.check_agreement < 0:
        raise EngineArgumentError("--check-agreement must be 0 (off) or a number of examples")


def check_export_matches(export: Any, model: str | None, adapter: str | None) -> None:
    """--model/--adapter given beside --export must name what the export was made from (else: evaluate which?)."""

    def same(given: str, recorded: str | None) -> bool:
        if recorded is None:
            return False
        if Path(given).expanduser().exists():
            return Path(given).expanduser().resolve() == Path(recorded).expanduser().resolve()
        return given in {recorded, str((export.manifest.get("model") or {}).get("given"))}

    if model is not None and not same(model, export.model):
        raise EngineArgumentError(
            f"--export {export.folder} was made from {export.model}, not --model {model}; "
            "drop --model (the export names its model) or export this model"
        )
    if adapter is not None and not same(adapter, export.adapter):
        made = export.adapter or "the base model alone"
        raise EngineArgumentError(
            f"--export {export.folder} was made from {made}, not --adapter {adapter}; "
            "export this adapter with export-onnx --adapter, or drop --adapter"
        )


def agreement(
    onnx_rows: Sequence[dict[str, Any]],
    torch_answers: Sequence[Generated],
    quantization: str,
) -> dict[str, Any]:
    """Identical answers and the metric drift between the ONNX rows and PyTorch's answers to the same prompts."""
    from medqa_trainer.metrics.text import rouge_l, token_f1

    identical = [row["prediction"] == g.text for row, g in zip(onnx_rows, torch_answers, strict=True)]

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    f1_onnx = [token_f1(r["prediction"], r["reference"]) for r in onnx_rows]
    f1_torch = [token_f1(g.text, r["reference"]) for r, g in zip(onnx_rows, torch_answers, strict=True)]
    rl_onnx = [rouge_l(r["prediction"], r["reference"]) for r in onnx_rows]
    rl_torch = [rouge_l(g.text, r["reference"]) for r, g in zip(onnx_rows, torch_answers, strict=True)]
    drift = {
        name: {
            "onnx": mean(a),
            "torch": mean(b),
            "difference": None if not a else round((mean(a) or 0.0) - (mean(b) or 0.0), 4),
        }
        for name, a, b in (("f1", f1_onnx, f1_torch), ("rouge_l", rl_onnx, rl_torch))
    }
    return {
        "examples": len(identical),
        "identical": sum(identical),
        "rate": round(sum(identical) / len(identical), 4) if identical else None,
        "expected": "identical" if quantization == "none" else "drift",
        "metrics": drift,
        "different_ids": [row["id"] for row, same in zip(onnx_rows, identical, strict=True) if not same][:20],
        "reference": "PyTorch generate, fp32, the same batches",
    }
