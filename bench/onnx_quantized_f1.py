"""Token F1 of quantised ONNX exports against their fp32 export, on MedQuAD test questions.

Each export answers the same questions (the first N of the fixed test slice of examples/medquad-smollm2, through
the chat template) greedily with Python onnxruntime; the answers are scored with the trainer's metrics and each
quantised export is compared with fp32 by the trainer's paired bootstrap (the difference and its 95 % CI). Target
(issue 20): |F1 difference| <= 1 point with the CI including 0; otherwise the drift is reported and fp32 stays the
default.

    .venv/bin/python bench/onnx_quantized_f1.py --fp32 DIR --quantized DIR_INT8 DIR_INT4 \\
        [--questions 100] [--max-new-tokens 64] [--threads 2] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))
DEFAULT_TEST = REPO / "examples" / "medquad-smollm2" / "results" / "test.jsonl"


def read_test(path: Path, count: int) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        messages = json.loads(line)["messages"]
        question = next(m["content"] for m in messages if m["role"] == "user")
        answer = next(m["content"] for m in messages if m["role"] == "assistant")
        pairs.append((question, answer))
        if len(pairs) == count:
            break
    if len(pairs) < count:
        sys.exit(f"{path} has only {len(pairs)} pairs, {count} asked")
    return pairs


def export_bytes(folder: Path) -> int:
    manifest = json.loads((folder / "medqa-onnx.json").read_text(encoding="utf-8"))
    return int(sum(record["bytes"] for record in manifest["files"].values()))


def greedy_batch(
    decoder: Any, prompts: list[list[int]], max_new_tokens: int, stop: set[int]
) -> list[list[int]]:
    """Greedy tokens for several prompts at once, left-padded (attention_mask 0, positions
    counted over real tokens): one pass over the weights serves the whole batch."""
    import numpy as np

    width = max(len(p) for p in prompts)
    ids = np.zeros((len(prompts), width), np.int64)
    mask = np.zeros((len(prompts), width), np.int64)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = prompt
        mask[row, width - len(prompt) :] = 1
    positions = np.maximum(mask.cumsum(1) - 1, 0)
    logits, past = decoder.step(ids, mask, positions, decoder.empty_past(len(prompts)), logits_to_keep=1)
    tokens: list[list[int]] = [[] for _ in prompts]
    done = np.zeros(len(prompts), bool)
    for step in range(max_new_tokens):
        chosen = logits[:, -1].argmax(-1)
        for row, token in enumerate(chosen):
            if not done[row]:
                tokens[row].append(int(token))
                done[row] = int(token) in stop
        if done.all() or step == max_new_tokens - 1:
            break
        mask = np.concatenate([mask, np.ones((len(prompts), 1), np.int64)], axis=1)
        positions = mask.sum(1, keepdims=True) - 1
        logits, past = decoder.step(chosen[:, None].astype(np.int64), mask, positions, past, logits_to_keep=1)
    return tokens


def answer_all(
    folder: Path, questions: list[str], max_new_tokens: int, threads: int, batch: int
) -> dict[str, Any]:
    from types import SimpleNamespace

    from medqa_trainer.generation import Decoding, render_prompt, stop_ids
    from medqa_trainer.onnx_validate import OnnxDecoder
    from transformers import AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    stop = set(
        stop_ids(
            tokenizer,
            SimpleNamespace(
                generation_config=GenerationConfig.from_pretrained(str(folder))
            ),
        )
    )
    decoder = OnnxDecoder(folder / "onnx" / "model.onnx", threads=threads)
    answers, tokens, started = [], 0, time.perf_counter()
    prompts = [
        render_prompt(tokenizer, [{"role": "user", "content": q}], Decoding())
        for q in questions
    ]
    for start in range(0, len(prompts), batch):
        chunk = prompts[start : start + batch]
        for new in greedy_batch(decoder, chunk, max_new_tokens, stop):
            tokens += len(new)
            kept = [t for t in new if t not in stop]
            answers.append(tokenizer.decode(kept, skip_special_tokens=True).strip())
        print(
            f"{folder.name}: {len(answers)}/{len(prompts)}", file=sys.stderr, flush=True
        )
    seconds = time.perf_counter() - started
    return {"answers": answers, "new_tokens": tokens, "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fp32", type=Path, required=True)
    parser.add_argument("--quantized", type=Path, nargs="+", required=True)
    parser.add_argument("--test", type=Path, default=DEFAULT_TEST)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=10,
        help="questions generated together (left-padded)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="write answers and results as JSON here"
    )
    args = parser.parse_args()

    from medqa_trainer.metrics.aggregate import paired_comparison
    from medqa_trainer.metrics.text import score_examples

    pairs = read_test(args.test, args.questions)
    questions, references = [q for q, _ in pairs], [a for _, a in pairs]
    # Answers of an earlier run with the same questions and tokens are reused (the fp32 ones take the longest).
    earlier: dict[str, Any] = {}
    if args.out and args.out.is_file():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if (previous["questions"], previous["max_new_tokens"]) == (
            args.questions,
            args.max_new_tokens,
        ):
            earlier = previous.get("runs", {})
    runs = {
        str(folder): earlier.get(str(folder))
        or answer_all(
            folder, questions, args.max_new_tokens, args.threads, args.batch_size
        )
        for folder in [args.fp32, *args.quantized]
    }
    fp32_scores = score_examples(runs[str(args.fp32)]["answers"], references)
    results: dict[str, Any] = {
        "questions": args.questions,
        "max_new_tokens": args.max_new_tokens,
        "threads": args.threads,
        "test": str(args.test),
        "exports": {},
    }
    for folder in [args.fp32, *args.quantized]:
        run = runs[str(folder)]
        scores = score_examples(run["answers"], references)
        entry: dict[str, Any] = {
            "bytes": export_bytes(folder),
            "f1": round(float(scores.f1.mean()), 2),
            "identical_answers_to_fp32": sum(
                a == b
                for a, b in zip(
                    run["answers"], runs[str(args.fp32)]["answers"], strict=True
                )
            ),
            "new_tokens": run["new_tokens"],
            "seconds": run["seconds"],
            "tokens_per_second": round(run["new_tokens"] / run["seconds"], 1)
            if run["seconds"]
            else None,
        }
        if folder != args.fp32:
            f1 = paired_comparison(fp32_scores, scores)["f1"]
            ci = f1["ci"]
            assert isinstance(ci, list)
            entry["f1_difference"] = round(float(f1["absolute_change"] or 0.0), 2)
            entry["f1_difference_ci95"] = [
                None if v is None else round(float(v), 2) for v in ci
            ]
            entry["p_value"] = f1["p_value"]
        results["exports"][str(folder)] = entry
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(
            json.dumps(
                {**results, "runs": runs},
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
