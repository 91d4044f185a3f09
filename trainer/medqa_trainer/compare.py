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
from typing import Any, cast

from medqa_trainer.atomic import write_text_atomic
from medqa_trainer.events import utc_now_iso
from medqa_trainer.metrics import DEFAULT_RESAMPLES, DEFAULT_SEED, paired_comparison
from medqa_trainer.metrics.aggregate import CONFIDENCE, group_rows
from medqa_trainer.metrics.grounding_rows import arrays_for
from medqa_trainer.metrics.grounding_stats import HIGHER_IS_BETTER as GROUNDING_HIGHER_IS_BETTER
from medqa_trainer.metrics.grounding_stats import paired_grounding
from medqa_trainer.recorded_paths import recorded_model, recorded_path, resolve_recorded
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


# Fewer pairs than this get no p-value. A paired bootstrap of 3 or 5 pairs resamples so few distinct differences
# that it reports p < 0.001 for a change one more example could reverse. An exact sign-flip permutation p cannot
# go below 2 / 2^n (0.25 for 3 pairs, 0.0625 for 5), so below 10 pairs it would only ever say "too few" too.
MIN_PAIRS_FOR_P = 10
SMALL_SAMPLE_NOTE = f"fewer than {MIN_PAIRS_FOR_P} pairs: no p-value"


class ComparisonError(ValueError):
    pass


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _read_metrics(path: Path) -> dict[str, Any]:
    """An evaluation folder's metrics.json (for the model, adapter and decoding it records), or a clear error."""
    redo = f"run `evaluate` or `score` into {path.parent} again, or delete that file"
    try:
        value = json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError:
        raise ComparisonError(f"{path}: not UTF-8 text (corrupt?); {redo}") from None
    except json.JSONDecodeError as error:
        raise ComparisonError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno}); {redo}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise ComparisonError(
            f"{path}: not valid JSON ({str(error)[:80] or 'nested too deeply'}); {redo}"
        ) from None
    except OSError as error:
        raise ComparisonError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not isinstance(value, dict):
        raise ComparisonError(f"{path}: expected a JSON object, got {type(value).__name__}; {redo}")
    problems = [
        f"'{field}' must be a string or null"
        for field in ("model", "adapter")
        if value.get(field) is not None and not isinstance(value[field], str)
    ]
    decoding = value.get("decoding")
    if decoding is not None and not (
        isinstance(decoding, dict) and isinstance(decoding.get("hash"), (str, type(None)))
    ):
        problems.append("'decoding' must be an object with a string 'hash'")
    if problems:
        raise ComparisonError(f"{path}: {'; '.join(problems)}; {redo}")
    return value


def withhold_small_sample_p(metrics: dict[str, dict[str, Any]], n: int) -> dict[str, dict[str, Any]]:
    """Every entry gets `note`: null, or why its `p_value` is null (fewer than MIN_PAIRS_FOR_P pairs)."""
    for entry in metrics.values():
        small = n < MIN_PAIRS_FOR_P
        if small:
            entry["p_value"] = None
        entry["note"] = SMALL_SAMPLE_NOTE if small else None
    return metrics


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
    metrics = _read_metrics(metrics_path) if metrics_path.exists() else {}
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
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """The comparison.json object; paths in it are relative to `out_dir` where they are near it (none: absolute)."""
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

    def place(value: str | None, folder: Path, *, model: bool = False) -> str | None:
        """A path recorded in `folder`'s metrics.json (relative to that folder), as comparison.json records it."""
        if value is None:
            return None
        absolute = resolve_recorded(value, folder)
        if out_dir is None:
            return absolute
        return recorded_model(absolute, out_dir) if model else recorded_path(absolute, out_dir)

    def describe(folder: Path, metrics: dict[str, Any], n: int) -> dict[str, Any]:
        decoding = metrics.get("decoding") or {}
        return {
            "dir": recorded_path(folder, out_dir) if out_dir is not None else str(folder.resolve()),
            "model": place(metrics.get("model"), folder, model=True),
            "adapter": place(metrics.get("adapter"), folder),
            "decoding_hash": decoding.get("hash"),
            "n": n,
        }

    for group in cast(dict[str, dict[str, Any]], by_qtype).values():
        withhold_small_sample_p(group["metrics"], group["n"])
    comparison: dict[str, Any] = {
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
            "bootstrap": {"resamples": resamples, "seed": seed, "confidence": CONFIDENCE, "paired": True},
            "min_pairs_for_p_value": MIN_PAIRS_FOR_P,
        },
    }
    withhold_small_sample_p(comparison["metrics"], comparison["n"])
    return comparison


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
    if comparison["n"] < MIN_PAIRS_FOR_P:
        lines += ["", f"p: — because {comparison['n']} is {SMALL_SAMPLE_NOTE}."]
    small = [q for q, group in comparison["by_qtype"].items() if group["n"] < MIN_PAIRS_FOR_P]
    if small:
        lines += [
            "",
            f"{len(small)} of {len(comparison['by_qtype'])} question types have {SMALL_SAMPLE_NOTE} "
            f"(in comparison.json): {', '.join(small[:8])}{' …' if len(small) > 8 else ''}.",
        ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        comparison = compare(
            args.base,
            args.candidate,
            cleaned=args.cleaned,
            resamples=args.bootstrap,
            seed=args.seed,
            out_dir=args.out,
        )
    except (ComparisonError, PredictionsFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. a predictions.jsonl this user may not read
        print(f"error: {error.filename}: cannot be read ({error.strerror})", file=sys.stderr)
        return 2
    out_dir: Path = args.out
    table = markdown_table(comparison)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json(out_dir / "comparison.json", comparison)
        write_text_atomic(out_dir / "comparison.md", table + "\n")
    except OSError as error:
        print(f"error: cannot write into {out_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(table)
    return 0
