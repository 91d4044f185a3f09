"""Evaluation generation on onnxruntime (`evaluate --engine onnx`) vs today's PyTorch path, in one process.

The same export (fp32 by default; --export a quantised one to see its drift), the same MedQuAD questions through the
model's chat template, longest prompts first, each engine in `evaluate`'s default batches (PyTorch 8, onnxruntime 32;
--batch-size and --onnx-batch-size change them), the same greedy decoding and max_new_tokens, and the answer-only
loss pass both engines run in `evaluate`. The two engines answer each group of prompts in turn (onnx, torch, onnx,
torch, ...), so load from other processes falls on both alike. Prints the wall time of each, the ratio, and how many
answers came out identical. Issue 20's target: 200 answers x 192 new tokens on SmolLM2 with 2 cores, ratio >= 3,
fp32 answers identical.

    .venv/bin/python bench/onnx_evaluation.py --export DIR [--examples 200] [--max-new-tokens 192] \
        [--batch-size 8] [--onnx-batch-size 32] [--threads N]

The export is made with `python -m medqa_trainer export-onnx --model smollm2-135m-instruct --out DIR`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))
SHARED = REPO.parent / "shared"


def medquad_pairs(limit: int) -> list[tuple[str, str]]:
    """(question, answer) pairs spread over every MedQuAD collection (every k-th pair, not the first folder's)."""
    root = SHARED / "data" / "MedQuAD"
    if not root.is_dir():
        sys.exit(
            f"{root} is missing: this benchmark needs the shared MedQuAD folder next to the repository"
        )
    pairs: list[tuple[str, str]] = []
    for xml_file in sorted(root.glob("*/*.xml")):
        for pair in ET.parse(xml_file).getroot().iter("QAPair"):
            question, answer = pair.find("Question"), pair.find("Answer")
            if (
                question is not None
                and answer is not None
                and (answer.text or "").strip()
            ):
                pairs.append(
                    ((question.text or "").strip(), (answer.text or "").strip())
                )
    step = max(1, len(pairs) // limit)
    return pairs[::step][:limit]


def main() -> int:
    from medqa_trainer.engines import DEFAULT_BATCH_SIZE

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--export",
        required=True,
        type=Path,
        help="an export-onnx folder (medqa-onnx.json)",
    )
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--max-new-tokens", type=int, default=192)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE["torch"], help="PyTorch's batch")
    parser.add_argument(
        "--onnx-batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE["onnx"],
        help="onnxruntime's batch; prompts go to both engines in groups of this size",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="onnxruntime threads (default: one per core)",
    )
    args = parser.parse_args()

    import torch
    from medqa_trainer import generation
    from medqa_trainer.engines import OnnxEngine, TorchEngine

    onnx = OnnxEngine.load(args.export, args.threads)
    export = onnx.generator.export
    reference = TorchEngine.load(export.model, export.adapter, "float32")
    decoding = generation.Decoding(max_new_tokens=args.max_new_tokens)
    pairs = medquad_pairs(args.examples)
    tokenizer = reference.tokenizer
    prompts = [
        generation.render_prompt(tokenizer, [{"role": "user", "content": q}], decoding)
        for q, _ in pairs
    ]
    targets = [generation.answer_ids(tokenizer, a[:2000]) for _, a in pairs]
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    warm = [prompts[order[0]]]
    onnx.generate(
        warm, generation.Decoding(max_new_tokens=2), None
    )  # first-call allocations, not timed
    reference.generate(warm, generation.Decoding(max_new_tokens=2), None)

    seconds = {"onnx": 0.0, "torch": 0.0}
    texts: dict[str, list[str]] = {"onnx": [], "torch": []}
    tokens = {"onnx": 0, "torch": 0}
    onnx_batch = args.onnx_batch_size
    batch_sizes = {"onnx": onnx_batch, "torch": args.batch_size}
    for start in range(0, len(order), onnx_batch):
        group = order[start : start + onnx_batch]
        for name, engine in (("onnx", onnx), ("torch", reference)):
            size = batch_sizes[name]
            for first in range(0, len(group), size):
                batch = group[first : first + size]
                batch_prompts = [prompts[i] for i in batch]
                batch_targets = [targets[i] for i in batch]
                began = time.perf_counter()
                answers = engine.generate(batch_prompts, decoding, None) or []
                engine.losses(batch_prompts, batch_targets)
                seconds[name] += time.perf_counter() - began
                texts[name] += [a.text for a in answers]
                tokens[name] += sum(a.new_tokens for a in answers)
        print(
            f"{start + len(group)}/{len(order)}: onnx {seconds['onnx']:.0f} s, torch {seconds['torch']:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    identical = sum(a == b for a, b in zip(texts["onnx"], texts["torch"], strict=True))
    result = {
        "examples": len(order),
        "batch_size": args.batch_size,
        "onnx_batch_size": onnx_batch,
        "max_new_tokens": args.max_new_tokens,
        "export": str(export.folder),
        "quantization": export.quantization,
        "onnx_seconds": round(seconds["onnx"], 1),
        "torch_seconds": round(seconds["torch"], 1),
        "ratio": round(seconds["torch"] / seconds["onnx"], 2),
        "onnx_answers_per_s": round(len(order) / seconds["onnx"], 3),
        "torch_answers_per_s": round(len(order) / seconds["torch"], 3),
        "identical_answers": identical,
        "new_tokens": tokens,
        "onnx_threads": onnx.generator.threads,
        "torch_threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(
        f"{len(order)} answers x {args.max_new_tokens} tokens: onnx ({export.quantization}) {result['onnx_seconds']} s, "
        f"torch {result['torch_seconds']} s, ratio {result['ratio']}x; identical {identical}/{len(order)}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
