"""Helpers of run.sh: the seeded subsets, the evaluation record the extension reads, and the report.

    python example.py subsets --export DIR --out DIR [--train N --validation N --test N --seed S]
    python example.py record --run DIR --evaluation DIR --test FILE --max-new-tokens N --batch-size N
    python example.py report --run DIR --evaluation DIR --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

# run.sh puts trainer/ on PYTHONPATH
from medqa_trainer.sampling import stratified_sample

METRICS = ("exact_match", "f1", "bleu", "rouge_l", "meteor", "perplexity")
METRIC_TITLES = {
    "exact_match": "EM",
    "f1": "token F1",
    "bleu": "BLEU",
    "rouge_l": "ROUGE-L",
    "meteor": "METEOR",
    "perplexity": "perplexity",
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def subsets(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((args.export / "manifest.json").read_text(encoding="utf-8"))
    sizes = {"train": args.train, "validation": args.validation, "test": args.test}
    for offset, (split, size) in enumerate(sizes.items()):
        rows = read_jsonl(args.export / f"{split}.jsonl")
        picked = stratified_sample(rows, size, args.seed + offset, lambda row: str(row.get("qtype")))
        write_jsonl(args.out / f"{split}.jsonl", picked)
        print(f"{split}: {len(picked)} of {len(rows)} pairs", file=sys.stderr)
    manifest["counts"] = {**manifest.get("counts", {}), **{k: min(v, manifest["counts"][k]) for k, v in sizes.items()}}
    # Relative to the subset's folder: the manifest is shipped (results/) and must not carry this machine's paths.
    of = Path(os.path.relpath(args.export, args.out)).as_posix()
    manifest["subset"] = {"of": of, "seed": args.seed, "sizes": sizes, "stratified_by": "qtype"}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 0


def record(args: argparse.Namespace) -> int:
    """evaluation.json as "MedQA: Evaluate Checkpoint" writes it, so the extension shows this evaluation."""
    config = yaml.safe_load((args.run / "config.yaml").read_text(encoding="utf-8"))
    base_model = config["model_name_or_path"]
    document = {
        "format": "medqa-evaluation",
        "version": 1,
        "createdAt": args.created_at,
        # Relative to the evaluation folder, so the run folder can be copied (the demo ships it).
        "runDir": "../..",
        "checkpoint": "../../adapter",
        "baseModel": base_model,
        "testFile": str(args.test.name),
        "settings": {
            "maxNewTokens": args.max_new_tokens,
            "batchSize": args.batch_size,
            "limit": None,
            "evaluateBase": True,
            "repetitionPenalty": args.repetition_penalty,
        },
        "status": "finished",
        "finishedAt": args.finished_at,
        "error": None,
    }
    (args.evaluation / "evaluation.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def p_text(p: float | None) -> str:
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def cell(doc: dict[str, Any], name: str, value: float, digits: int) -> str:
    """A value with its own 95 % bootstrap interval from that side's metrics.json."""
    ci = doc["overall"].get(name, {}).get("ci")
    return f"{value:.{digits}f} ({ci[0]:.{digits}f}–{ci[1]:.{digits}f})" if ci else f"{value:.{digits}f}"


def metric_table(comparison: dict[str, Any], base: dict[str, Any], adapter: dict[str, Any]) -> str:
    lines = [
        "| metric | base (95 % CI) | fine-tuned (95 % CI) | change (95 % CI) | paired p |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in METRICS:
        row = comparison["metrics"].get(name)
        if row is None:
            continue
        digits = 3 if name in ("rouge_l", "meteor") else 2
        low, high = row["ci"] or (None, None)
        change = f"{row['absolute_change']:+.{digits}f}" + (
            f" ({low:+.{digits}f} to {high:+.{digits}f})" if low is not None else ""
        )
        lines.append(
            f"| {METRIC_TITLES[name]} | {cell(base, name, row['base'], digits)} | "
            f"{cell(adapter, name, row['candidate'], digits)} | "
            f"{change} | {p_text(row['p_value'])} |"
        )
    return "\n".join(lines)


def qtype_table(comparison: dict[str, Any]) -> str:
    lines = ["| qtype | n | F1 base | F1 fine-tuned | p | ROUGE-L base | ROUGE-L fine-tuned | p |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    groups = sorted(comparison["by_qtype"].items(), key=lambda item: -item[1]["n"])
    for qtype, group in groups:
        f1, rouge = group["metrics"]["f1"], group["metrics"]["rouge_l"]
        lines.append(
            f"| {qtype} | {group['n']} | {f1['base']:.1f} | {f1['candidate']:.1f} | {p_text(f1['p_value'])} | "
            f"{rouge['base']:.3f} | {rouge['candidate']:.3f} | {p_text(rouge['p_value'])} |"
        )
    return "\n".join(lines)


def loss_plot(events_path: Path, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train: list[tuple[int, float]] = []
    evals: list[tuple[int, float]] = []
    for event in read_jsonl(events_path):
        if event.get("event") == "step" and event.get("loss") is not None:
            train.append((event["step"], event["loss"]))
        if event.get("event") == "eval" and event.get("eval_loss") is not None:
            evals.append((event["step"], event["eval_loss"]))
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    if train:
        axes.plot(*zip(*train, strict=True), label="training loss", color="#3b7dd8", linewidth=1.2)
    if evals:
        axes.plot(*zip(*evals, strict=True), label="validation loss", color="#d8573b", marker="o")
    axes.set_xlabel("optimizer step (16 sequences each)")
    axes.set_ylabel("cross-entropy on answer tokens")
    axes.set_title("SmolLM2-135M-Instruct, LoRA cpu-small on MedQuAD")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out)


def report(args: argparse.Namespace) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    comparison = json.loads((args.evaluation / "comparison.json").read_text(encoding="utf-8"))
    base = json.loads((args.evaluation / "base" / "metrics.json").read_text(encoding="utf-8"))
    adapter = json.loads((args.evaluation / "adapter" / "metrics.json").read_text(encoding="utf-8"))
    loss_plot(args.run / "events.jsonl", args.out / "loss.png")
    text = (
        f"## Base vs fine-tuned on {comparison['n']} MedQuAD test pairs\n\n"
        + metric_table(comparison, base, adapter)
        + "\n\n## Per question type\n\n"
        + qtype_table(comparison)
        + "\n"
    )
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("subsets")
    p.add_argument("--export", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--train", type=int, default=1000)
    p.add_argument("--validation", type=int, default=100)
    p.add_argument("--test", type=int, default=200)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(handler=subsets)
    p = sub.add_parser("record")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--evaluation", type=Path, required=True)
    p.add_argument("--test", type=Path, required=True)
    p.add_argument("--max-new-tokens", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--repetition-penalty", type=float, required=True)
    p.add_argument("--created-at", required=True)
    p.add_argument("--finished-at", required=True)
    p.set_defaults(handler=record)
    p = sub.add_parser("report")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--evaluation", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(handler=report)
    args = parser.parse_args()
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
