"""`compare`: base model vs adapter (or any two evaluations) on the same examples, matched by id.

Reads `predictions.jsonl` from both folders, rescores both with the same metric code, and writes
`comparison.json` (absolute and relative change per metric, paired-bootstrap CI of the difference and
p-value, overall and per qtype) plus `comparison.md`, the Markdown table also printed on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from medqa_trainer.atomic import write_text_atomic
from medqa_trainer.events import utc_now_iso
from medqa_trainer.metrics import DEFAULT_RESAMPLES, DEFAULT_SEED, paired_comparison
from medqa_trainer.metrics.aggregate import CONFIDENCE, group_rows
from medqa_trainer.metrics.grounding_rows import arrays_for
from medqa_trainer.metrics.grounding_stats import HIGHER_IS_BETTER as GROUNDING_HIGHER_IS_BETTER
from medqa_trainer.metrics.grounding_stats import paired_grounding
from medqa_trainer.score import UNKNOWN_QTYPE, PredictionsFileError, load_predictions, score_rows, write_json

COMPARISON_FORMAT = "medqa-eval-comparison"
COMPARISON_VERSION = 1
HIGHER_IS_BETTER = {
    "exact_match": True,
    "f1": True,
    "bleu": True,
    "rouge_l": True,
    "meteor": True,
    "perplexity": False,
}


class ComparisonError(ValueError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, type=Path, help="evaluation folder of the base model")
    parser.add_argument("--candidate", required=True, type=Path, help="evaluation folder of the adapter")
    parser.add_argument(
        "--out", required=True, type=Path, help="folder for comparison.json and comparison.md"
    )
    parser.add_argument(
        "--cleaned",
        action="store_true",
        help="compare `prediction_clean` (from `score --strip-prompt`) instead",
    )
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_RESAMPLES, help="paired bootstrap resamples")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")


def _side(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    predictions = folder / "predictions.jsonl"
    if not predictions.is_file():
        raise ComparisonError(f"{folder} has no predictions.jsonl; run `evaluate` or `score` into it first")
    rows = load_predictions(predictions)
    metrics_path = folder / "metrics.json"
    metrics: dict[str, Any] = {}
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    return rows, metrics


def _texts(rows: list[dict[str, Any]], cleaned: bool, folder: Path) -> list[str]:
    if not cleaned:
        return [str(r["prediction"]) for r in rows]
    missing = [str(r["id"]) for r in rows if not isinstance(r.get("prediction_clean"), str)]
    if missing:
        raise ComparisonError(
            f"{folder}: {len(missing)} row(s) have no prediction_clean (e.g. {', '.join(missing[:3])}); "
            "run `score --strip-prompt` into that folder first"
        )
    return [str(r["prediction_clean"]) for r in rows]


def compare(
    base_dir: Path,
    candidate_dir: Path,
    *,
    cleaned: bool = False,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    base_rows, base_metrics = _side(base_dir)
    cand_rows, cand_metrics = _side(candidate_dir)
    cand_by_id = {str(r["id"]): r for r in cand_rows}
    common = [r for r in base_rows if str(r["id"]) in cand_by_id]
    if not common:
        raise ComparisonError(
            f"{base_dir} and {candidate_dir} share no example ids; were they run on the same data?"
        )
    paired_cand = [cand_by_id[str(r["id"])] for r in common]
    different = [
        str(b["id"]) for b, c in zip(common, paired_cand, strict=True) if b["reference"] != c["reference"]
    ]
    if different:
        raise ComparisonError(
            f"{len(different)} matched id(s) have different references (e.g. {', '.join(different[:5])}); "
            "the two evaluations used different data"
        )
    base_texts = _texts(common, cleaned, base_dir)
    cand_texts = _texts(paired_cand, cleaned, candidate_dir)
    base = score_rows(common, base_texts)
    cand = score_rows(paired_cand, cand_texts)
    # Grounding measures (support, fabrication, ...) on the same resamples; each side against its own sources.
    base_grounding = arrays_for(common, base_texts)
    cand_grounding = arrays_for(paired_cand, cand_texts)
    qtypes = [str(r.get("qtype") or UNKNOWN_QTYPE) for r in common]
    by_qtype = {
        qtype: {
            "n": len(rows),
            "metrics": {
                **paired_comparison(
                    base.subset(rows), cand.subset(rows), f"qtype:{qtype}", resamples=resamples, seed=seed
                ),
                **paired_grounding(
                    base_grounding.subset(rows),
                    cand_grounding.subset(rows),
                    f"qtype:{qtype}",
                    resamples=resamples,
                    seed=seed,
                ),
            },
        }
        for qtype, rows in group_rows(qtypes).items()
    }

    def describe(folder: Path, metrics: dict[str, Any], n: int) -> dict[str, Any]:
        decoding = metrics.get("decoding") or {}
        return {
            "dir": str(folder.resolve()),
            "model": metrics.get("model"),
            "adapter": metrics.get("adapter"),
            "decoding_hash": decoding.get("hash"),
            "n": n,
        }

    return {
        "format": COMPARISON_FORMAT,
        "version": COMPARISON_VERSION,
        "created_at": utc_now_iso(),
        "base": describe(base_dir, base_metrics, len(base_rows)),
        "candidate": describe(candidate_dir, cand_metrics, len(cand_rows)),
        "predictions": "prediction_clean" if cleaned else "prediction",
        "n": len(common),
        "only_in_base": len(base_rows) - len(common),
        "only_in_candidate": len(cand_rows) - len(common),
        "metrics": {
            **paired_comparison(base, cand, "overall", resamples=resamples, seed=seed),
            **paired_grounding(base_grounding, cand_grounding, "overall", resamples=resamples, seed=seed),
        },
        "by_qtype": by_qtype,
        "higher_is_better": {**HIGHER_IS_BETTER, **GROUNDING_HIGHER_IS_BETTER},
        "settings": {
            "bootstrap": {"resamples": resamples, "seed": seed, "confidence": CONFIDENCE, "paired": True}
        },
    }


def _num(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def markdown_table(comparison: dict[str, Any]) -> str:
    lines = [
        f"Base: {comparison['base']['dir']}  \nCandidate: {comparison['candidate']['dir']}  \n"
        f"Examples compared: {comparison['n']} (only in base: {comparison['only_in_base']}, "
        f"only in candidate: {comparison['only_in_candidate']})",
        "",
        "| metric | base | candidate | change | relative | 95% CI of change | p |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in comparison["metrics"].items():
        relative = entry["relative_change"]
        low, high = entry["ci"]
        lines.append(
            f"| {name} | {_num(entry['base'])} | {_num(entry['candidate'])} | {_num(entry['absolute_change'], 3)} | "
            f"{'—' if relative is None else f'{relative * 100:+.1f}%'} | [{_num(low, 3)}, {_num(high, 3)}] | "
            f"{_num(entry['p_value'], 3)} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        comparison = compare(
            args.base, args.candidate, cleaned=args.cleaned, resamples=args.bootstrap, seed=args.seed
        )
    except (ComparisonError, PredictionsFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "comparison.json", comparison)
    table = markdown_table(comparison)
    write_text_atomic(out_dir / "comparison.md", table + "\n")
    print(table)
    return 0
