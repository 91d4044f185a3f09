"""Training throughput: the `recommended` preset vs the `reference-recipe` preset, same model, same data.

With `--model smollm2-135m-instruct` (a catalogue name or a model folder) it measures that real model instead of
a random Qwen3; `--same-max-length L` gives both presets the same window and adds `recommended` with packing, so
the comparison isolates padding, grouping and packing. Besides effective tokens/s it reports answer tokens
learned per second (tokens with a label), the figure that decides which default is fastest.

Both runs go through the trainer's real code path (medqa_trainer.session.build_session: data encoding and
masking, collator, LoRA model, transformers.Trainer) on a slice of real MedQuAD answers from ../shared, for
one full epoch each (so length-grouped batching sees every length, not only its longest batches first).
Prints effective (non-padding) training tokens/s of each, the ratio (target >= 2x), the padding share, and
model-FLOPs utilisation against a fp32 matmul peak measured in the same process.

FLOPs per non-padding token: forward = 2 x (matmul parameters, lm_head included) + attention
(4 x layers x attention width x mean context); LoRA training with a frozen base = forward + the backward pass
for activations (another ~1x forward; frozen weights get no gradient) = 2 x forward, LoRA's own FLOPs ignored.

    .venv/bin/python bench/train_throughput.py [--examples 256] [--hidden-size 256] [--layers 4]
    .venv/bin/python bench/train_throughput.py --model smollm2-135m-instruct --same-max-length 512 \
        --examples 64 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))
SHARED = REPO.parent / "shared"


def medquad_pairs() -> list[tuple[str, str, str]]:
    root = SHARED / "data" / "MedQuAD"
    if not root.is_dir():
        sys.exit(f"{root} is missing: this benchmark needs the shared MedQuAD folder next to the repository")
    pairs: list[tuple[str, str, str]] = []
    for xml_file in sorted(root.glob("*/*.xml")):
        document = ET.parse(xml_file).getroot()
        for pair in document.iter("QAPair"):
            question, answer = pair.find("Question"), pair.find("Answer")
            if question is None or answer is None or not (answer.text or "").strip():
                continue
            pid = pair.get("pid", "0")
            pairs.append(
                (
                    f"{xml_file.parent.name}/{document.get('id')}/{pid}",
                    (question.text or "").strip(),
                    (answer.text or "").strip(),
                )
            )
    return pairs


def write_slice(folder: Path, count: int, seed: int) -> Path:
    pairs = random.Random(seed).sample(medquad_pairs(), count)
    path = folder / "train.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for pair_id, question, answer in pairs:
            messages = [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
            handle.write(json.dumps({"id": pair_id, "messages": messages, "qtype": "", "source": ""}) + "\n")
    return path


def matmul_peak(size: int = 2048, repeats: int = 8) -> float:
    """Best-of fp32 GEMM FLOP/s on this machine, in this process (same threads as training)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best


def flops_per_token(model: Any, mean_context: float) -> float:
    import torch

    config = model.config
    matmul_params = sum(
        module.weight.numel()
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and "lora_" not in name
    )
    attention_width = config.num_attention_heads * config.head_dim
    forward = 2 * matmul_params + 4 * config.num_hidden_layers * attention_width * mean_context
    return float(2 * forward)


def measure(
    preset: str,
    model_dir: str,
    train_file: Path,
    work: Path,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    from medqa_trainer.config import resolve_config
    from medqa_trainer.events import EventWriter
    from medqa_trainer.session import build_session

    config = resolve_config(
        {
            "preset": preset,
            "model_name_or_path": str(model_dir),
            "train_file": str(train_file),
            "output_dir": str(work / "run"),
            "num_train_epochs": 1,
            "eval_steps": 1_000_000,  # no evaluation and no checkpoint inside the measured epoch
            "save_steps": 1_000_000,
            "logging_steps": 1_000_000,
            **overrides,
        }
    )
    writer = EventWriter(work / f"{preset}.jsonl", enabled=False)
    session = build_session(config, writer, world_size=1, say=lambda *a, **k: None, save_run_config=False)
    trainer = session.trainer
    started, cpu_started = time.perf_counter(), time.process_time()
    trainer.train()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    lengths = [len(e) for e in session.data.train]
    # Tokens with a label (the answer and its end-of-turn token): what the run actually learns from.
    answer_tokens = sum(sum(1 for label in e.labels if label != -100) for e in session.data.train)
    # Mean attention context of a token in a causal sequence of length n is about n / 2.
    context = sum(n * n / 2 for n in lengths) / sum(lengths)
    return {
        "preset": preset,
        "max_length": config.max_length,
        "padding": config.padding,
        "micro_batch": f"{config.per_device_train_batch_size} x {config.gradient_accumulation_steps}",
        "steps": trainer.state.global_step,
        "real_tokens": trainer.real_tokens,
        "padded_tokens": trainer.padded_tokens,
        "train_seconds": trainer.train_seconds,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        # CPU time of this process (all its threads): less sensitive to other load on a shared machine.
        "tokens_per_cpu_second": trainer.real_tokens / cpu,
        "tokens_per_second": trainer.real_tokens / trainer.train_seconds,
        "answer_tokens": answer_tokens,
        "answer_tokens_per_second": answer_tokens / trainer.train_seconds,
        "flops_per_token": flops_per_token(trainer.model, context),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=256,
        help="MedQuAD pairs in the slice (one epoch each)",
    )
    parser.add_argument(
        "--model", help="a catalogue name or model folder (default: a random Qwen3 of --hidden-size/--layers)"
    )
    parser.add_argument(
        "--same-max-length",
        type=int,
        help="give both presets this max_length and add recommended with packing",
    )
    parser.add_argument("--hidden-size", type=int, default=256, help="hidden size of the random Qwen3")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="alternating measurements per preset")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0, help="which slice of MedQuAD")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=YAML",
        help="override a config field of the recommended run (to explore alternatives), e.g. --set max_length=512",
    )
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from medqa_trainer.catalog import prepare_model_reference
    from medqa_trainer.tiny_model import make_tiny_model

    tokenizer_dir = SHARED / "models" / "qwen3-tokenizer"
    if not args.model and not tokenizer_dir.is_dir():
        sys.exit(f"{tokenizer_dir} is missing: this benchmark needs the shared Qwen3 tokenizer")
    with tempfile.TemporaryDirectory(prefix="medqa-bench-") as tmp:
        work = Path(tmp)
        if args.model:
            model_dir = prepare_model_reference(args.model)
            described = f"{args.model} ({model_dir})"
        else:
            model_dir = str(
                make_tiny_model(tokenizer_dir, work / "model", hidden_size=args.hidden_size, layers=args.layers)
            )
            described = f"random Qwen3, hidden {args.hidden_size}, {args.layers} layers"
        train_file = write_slice(work, args.examples, args.seed)
        print(
            f"model: {described}; data: {args.examples} MedQuAD pairs; {torch.get_num_threads()} torch threads",
            flush=True,
        )
        peak = matmul_peak()
        print(f"measured fp32 matmul peak: {peak / 1e9:.1f} GFLOP/s", flush=True)
        overrides = {key: yaml.safe_load(value) for key, value in (item.split("=", 1) for item in args.set)}
        same = {"max_length": args.same_max_length} if args.same_max_length else {}
        # variant -> (preset, overrides); the first is the reference every ratio is taken against.
        variants: dict[str, tuple[str, dict[str, Any]]] = {
            "reference-recipe": ("reference-recipe", same),
            "recommended": ("recommended", {**overrides, **same}),
        }
        if args.same_max_length:
            variants["recommended+packing"] = ("recommended", {**overrides, **same, "packing": True})
        # Rounds alternate the variants, so a busy machine slows all alike; the median round counts.
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
        for round_number in range(1, args.rounds + 1):
            for variant, preset_runs in runs.items():
                preset, variant_overrides = variants[variant]
                result = measure(preset, model_dir, train_file, work, variant_overrides)
                result["variant"] = variant
                # MFU against the best peak seen so far; the final figures use the best of all.
                peak = max(peak, matmul_peak(repeats=3))
                result["mfu"] = result["tokens_per_second"] * result["flops_per_token"] / peak
                preset_runs.append(result)
                padding_share = 1 - result["real_tokens"] / result["padded_tokens"]
                print(
                    f"round {round_number} {variant:>19}: max_length {result['max_length']}, padding "
                    f"{result['padding']}, micro-batch {result['micro_batch']}, {result['steps']} steps, "
                    f"{result['real_tokens']:,} real tokens ({padding_share:.0%} of computed positions were "
                    f"padding) in {result['train_seconds']:.1f} s -> {result['tokens_per_second']:,.0f} tok/s, "
                    f"MFU {result['mfu']:.1%}; {result['tokens_per_cpu_second']:,.0f} tok per CPU-second; "
                    f"{result['answer_tokens_per_second']:,.0f} answer tok/s",
                    flush=True,
                )
        results = [sorted(r, key=lambda x: x["tokens_per_second"])[(len(r) - 1) // 2] for r in runs.values()]
        peak_after = matmul_peak()
        best_peak = max(peak, peak_after)
        for preset_runs in runs.values():
            for result in preset_runs:
                result["mfu"] = result["tokens_per_second"] * result["flops_per_token"] / best_peak
        ratio = results[1]["tokens_per_second"] / results[0]["tokens_per_second"]
        cpu_ratio = results[1]["tokens_per_cpu_second"] / results[0]["tokens_per_cpu_second"]
        for result in results:
            print(
                f"median {result['variant']}: {result['tokens_per_second']:,.0f} tok/s, MFU {result['mfu']:.1%}, "
                f"{result['tokens_per_cpu_second']:,.0f} tok per CPU-second, "
                f"{result['answer_tokens_per_second']:,.0f} answer tok/s"
            )
        for result in results[1:]:
            print(
                f"{result['variant']} / reference-recipe: effective tokens/s "
                f"{result['tokens_per_second'] / results[0]['tokens_per_second']:.2f}x, answer tokens/s "
                f"{result['answer_tokens_per_second'] / results[0]['answer_tokens_per_second']:.2f}x"
            )
        fastest = max(results, key=lambda r: r["answer_tokens_per_second"])
        print(f"fastest per answer token learned: {fastest['variant']}")
        print(
            f"matmul peak after the runs: {peak_after / 1e9:.1f} GFLOP/s (a big change means a noisy machine); "
            f"MFU above uses the best peak, {best_peak / 1e9:.1f} GFLOP/s"
        )
        print(f"recommended / reference-recipe effective tokens/s: {ratio:.2f}x (target >= 2x)")
        print(f"recommended / reference-recipe effective tokens per CPU-second: {cpu_ratio:.2f}x")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"peak_flops": [peak, peak_after], "ratio": ratio, "cpu_ratio": cpu_ratio, "runs": runs},
                    indent=2,
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
