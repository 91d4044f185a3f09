"""Greedy generation with a KV cache on Python onnxruntime vs PyTorch `generate`, for one export folder.

The reference side of the Node-vs-Python comparison: the same prompt (rendered with the export's chat template),
the same greedy decoding, the ONNX graph of `export-onnx` on one side and the model it was made from (base +
merged adapter, read from `medqa-onnx.json`) on the other. Prints one JSON line:

    {"onnxruntime": {"tokens_per_s", "time_to_first_token_ms", "tokens"}, "torch": {...}, ...}

    .venv/bin/python bench/onnx_python_generation.py --export DIR --prompt "What is (are) Glaucoma ?" \
        --max-new-tokens 64

tokens_per_s counts every generated token over the whole call (prefill included); time to first token is the
prefill plus the first argmax. Neither side stops early: both generate exactly --max-new-tokens unless the model
ends its turn, and `tokens` says how many each made.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))


class FirstTokenClock:
    """A `generate` streamer that notes when the first new token arrives (the prompt is `put` first)."""

    def __init__(self) -> None:
        self.calls = 0
        self.first: float | None = None

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2 and self.first is None:
            self.first = time.perf_counter()

    def end(self) -> None:
        pass


def load_torch_model(manifest: dict[str, Any]) -> Any:
    """The model the export was made from: the resolved base, with the adapter merged as export-onnx does."""
    import torch
    from transformers import AutoModelForCausalLM

    source = manifest["model"]["resolved"]
    local = Path(source).is_dir()
    model: Any = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, local_files_only=local)
    if manifest.get("adapter"):
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, manifest["adapter"], is_trainable=False).merge_and_unload()
    return model.eval()


def run_torch(
    model: Any, prompt: list[int], max_new_tokens: int, stop: list[int], pad_id: int
) -> dict[str, Any]:
    import torch

    ids = torch.tensor([prompt], dtype=torch.long)
    clock = FirstTokenClock()
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=stop,
            pad_token_id=pad_id,
            streamer=clock,
            temperature=None,
            top_p=None,
            top_k=None,
        )
    seconds = time.perf_counter() - started
    tokens = [int(t) for t in out[0, len(prompt) :]]
    first = (clock.first or time.perf_counter()) - started
    return summary(tokens, seconds, first)


def summary(tokens: list[int], seconds: float, first_seconds: float) -> dict[str, Any]:
    return {
        "tokens_per_s": round(len(tokens) / seconds, 2) if seconds > 0 else None,
        "time_to_first_token_ms": round(first_seconds * 1000, 1),
        "tokens": len(tokens),
        "seconds": round(seconds, 3),
        "token_ids": tokens,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--export", required=True, type=Path, help="an export-onnx folder (with medqa-onnx.json)"
    )
    parser.add_argument(
        "--prompt", required=True, help="the user's question (rendered with the chat template)"
    )
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=None, help="onnxruntime intra-op threads (default: all)"
    )
    parser.add_argument(
        "--no-torch", action="store_true", help="onnxruntime only: no PyTorch model loaded or timed"
    )
    args = parser.parse_args()

    from transformers import AutoTokenizer, GenerationConfig

    from medqa_trainer.generation import Decoding, render_prompt, stop_ids
    from medqa_trainer.onnx_validate import OnnxDecoder

    manifest_path = args.export / "medqa-onnx.json"
    if not manifest_path.is_file():
        sys.exit(f"{manifest_path} is missing: --export must be a folder written by export-onnx")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(str(args.export))
    prompt = render_prompt(tokenizer, [{"role": "user", "content": args.prompt}], Decoding())
    model = None if args.no_torch else load_torch_model(manifest)
    # Without the model, its generation config (saved beside the export) names the same eos ids.
    config = model or SimpleNamespace(generation_config=GenerationConfig.from_pretrained(args.export))
    stop = stop_ids(tokenizer, config)
    pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)

    decoder = OnnxDecoder(args.export / "onnx" / "model.onnx", threads=args.threads)
    decoder.greedy(prompt, 2, set(stop))  # warm-up: the first run pays for onnxruntime's allocations
    timed = decoder.greedy(prompt, args.max_new_tokens, set(stop))
    onnx_result = summary(timed.tokens, timed.total_seconds, timed.first_token_seconds)
    torch_result = None
    if model is not None:
        run_torch(model, prompt, 2, stop, pad_id)  # same warm-up for PyTorch
        torch_result = run_torch(model, prompt, args.max_new_tokens, stop, pad_id)
    result = {
        "onnxruntime": onnx_result,
        "torch": torch_result,
        "prompt_tokens": len(prompt),
        "max_new_tokens": args.max_new_tokens,
        "identical_tokens": torch_result is not None and onnx_result["token_ids"] == torch_result["token_ids"],
        "export": str(args.export.resolve()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
