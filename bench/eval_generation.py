"""Batched evaluation generation (what `medqa_trainer evaluate` runs) vs one example at a time.

Same tiny Qwen3 (built with make-tiny-model from the real tokenizer), same prompts (real MedQuAD questions
through the chat template), same greedy decoding and max_new_tokens. Prints examples/s for both, the ratio,
and the new tokens each produced (equal counts = equal work). Target: batched >= 5x.

    .venv/bin/python bench/eval_generation.py [--examples 32] [--batch-size 16] [--max-new-tokens 32]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))
SHARED = REPO.parent / "shared"


def medquad_questions(limit: int) -> list[str]:
    root = SHARED / "data" / "MedQuAD"
    if not root.is_dir():
        sys.exit(f"{root} is missing: this benchmark needs the shared MedQuAD folder next to the repository")
    questions: list[str] = []
    for xml_file in sorted(root.glob("*/*.xml")):
        for pair in ET.parse(xml_file).getroot().iter("QAPair"):
            question, answer = pair.find("Question"), pair.find("Answer")
            if question is not None and answer is not None and (answer.text or "").strip():
                questions.append((question.text or "").strip())
                if len(questions) == limit:
                    return questions
    return questions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    args = parser.parse_args()

    import torch

    from medqa_trainer import generation
    from medqa_trainer.tiny_model import make_tiny_model

    tokenizer_dir = SHARED / "models" / "qwen3-tokenizer"
    if not tokenizer_dir.is_dir():
        sys.exit(f"{tokenizer_dir} is missing: this benchmark needs the shared Qwen3 tokenizer")
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = make_tiny_model(tokenizer_dir, Path(tmp) / "tiny")
        device, dtype = generation.pick_device_and_dtype()
        model, tokenizer = generation.load_model_and_tokenizer(str(model_dir), None, device, dtype)
    decoding = generation.Decoding(max_new_tokens=args.max_new_tokens)
    questions = medquad_questions(args.examples)
    prompts = [
        generation.render_prompt(tokenizer, [{"role": "user", "content": q}], decoding) for q in questions
    ]
    never = threading.Event()
    generation.generate_batch(model, tokenizer, prompts[:2], decoding, never)  # warm-up, not timed

    start = time.perf_counter()
    single = [generation.generate_batch(model, tokenizer, [p], decoding, never) for p in prompts]
    single_s = time.perf_counter() - start
    single_tokens = sum(g[0].new_tokens for g in single if g)

    # As `evaluate` does: longest prompts first, so a batch holds prompts of similar length.
    ordered = sorted(prompts, key=len, reverse=True)
    start = time.perf_counter()
    batched = [
        generation.generate_batch(model, tokenizer, ordered[i : i + args.batch_size], decoding, never)
        for i in range(0, len(ordered), args.batch_size)
    ]
    batched_s = time.perf_counter() - start
    batched_tokens = sum(g.new_tokens for batch in batched if batch for g in batch)

    result = {
        "examples": len(prompts),
        "batch_size": args.batch_size,
        "max_new_tokens": args.max_new_tokens,
        "one_at_a_time_examples_per_s": round(len(prompts) / single_s, 2),
        "batched_examples_per_s": round(len(prompts) / batched_s, 2),
        "ratio": round(single_s / batched_s, 2),
        "new_tokens": {"one_at_a_time": single_tokens, "batched": batched_tokens},
        "torch_threads": torch.get_num_threads(),
    }
    print(
        f"one at a time: {result['one_at_a_time_examples_per_s']} examples/s; "
        f"batched (B={args.batch_size}): {result['batched_examples_per_s']} examples/s; ratio {result['ratio']}x"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
