"""Corpus values, bootstrap confidence intervals and paired bootstrap tests over `ScoredExamples`.

A bootstrap resample is represented by how often each example was drawn (a row of counts), so one weighted
sum gives every metric for many resamples at once, and paired tests reuse the same rows for both systems.
The point estimate is the same computation with every count equal to 1.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from medqa_trainer.metrics.text import TEXT_METRICS, ScoredExamples, bleu_from_statistics

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
CONFIDENCE = 0.95
_CHUNK = 200  # resamples per weight matrix: bounds memory to 200 x n counts


def metric_names(scored: ScoredExamples) -> tuple[str, ...]:
    has_loss = scored.loss_sum is not None and scored.answer_tokens is not None
    return (*TEXT_METRICS, "perplexity") if has_loss else TEXT_METRICS


def weighted_metric(scored: ScoredExamples, name: str, weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """The metric for each row of `weights` (shape [resamples, n]): corpus value of the weighted examples."""
    totals = weights.sum(axis=1)
    if name in ("exact_match", "f1", "rouge_l", "meteor"):
        values: NDArray[np.float64] = getattr(scored, name)
        return np.asarray(weights @ values / totals, dtype=np.float64)
    if name == "bleu":
        summed = weights @ scored.bleu_stats.astype(np.float64)
        return np.array([bleu_from_statistics(np.rint(row).astype(np.int64)) for row in summed])
    if name == "perplexity":
        if scored.loss_sum is None or scored.answer_tokens is None:
            raise ValueError("perplexity needs per-example losses (only `evaluate` with a model has them)")
        # Token-weighted: exp of the mean loss over all answer tokens, not a mean of per-example perplexities.
        return np.asarray(
            np.exp((weights @ scored.loss_sum) / (weights @ scored.answer_tokens)), dtype=np.float64
        )
    raise ValueError(f"unknown metric {name!r}")


def point_value(scored: ScoredExamples, name: str) -> float:
    return float(weighted_metric(scored, name, np.ones((1, len(scored))))[0])


def group_rng(seed: int, group: str) -> np.random.Generator:
    """A generator per (seed, group), so a group's interval does not depend on which other groups exist."""
    return np.random.default_rng([seed, zlib.crc32(group.encode("utf-8"))])


def resample_weights(n: int, resamples: int, rng: np.random.Generator) -> Iterator[NDArray[np.float64]]:
    """Bootstrap draws of n examples with replacement, as count matrices of at most _CHUNK rows."""
    probabilities = np.full(n, 1.0 / n)
    remaining = resamples
    while remaining > 0:
        rows = min(_CHUNK, remaining)
        yield rng.multinomial(n, probabilities, size=rows).astype(np.float64)
        remaining -= rows


def _interval(samples: NDArray[np.float64]) -> list[float | None]:
    """Percentile interval; [None, None] when there is nothing to resample (JSON has no NaN)."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return [None, None]
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def summarize(
    scored: ScoredExamples,
    group: str = "overall",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, object]:
    """`{"n": n, metric: {"value": v, "ci": [lo, hi]}, ...}` for one group of examples."""
    names = metric_names(scored)
    n = len(scored)
    result: dict[str, object] = {"n": n}
    if n == 0:
        for name in names:
            result[name] = {"value": None, "ci": [None, None]}
        return result
    samples: dict[str, list[NDArray[np.float64]]] = {name: [] for name in names}
    for weights in resample_weights(n, resamples, group_rng(seed, group)):
        for name in names:
            samples[name].append(weighted_metric(scored, name, weights))
    for name in names:
        ci = _interval(np.concatenate(samples[name])) if samples[name] else [None, None]
        result[name] = {"value": point_value(scored, name), "ci": ci}
    return result


def paired_comparison(
    base: ScoredExamples,
    candidate: ScoredExamples,
    group: str = "overall",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, dict[str, float | list[float | None] | None]]:
    """Per metric: base, candidate, absolute and relative change, and a paired bootstrap of the difference.

    Both systems are scored on the same resampled examples. The p-value is two-sided for "no difference":
    the share of resampled differences, centred on the observed one, at least as far from zero as observed.
    """
    if len(base) != len(candidate):
        raise ValueError("paired comparison needs the same examples in the same order")
    names = [name for name in metric_names(base) if name in metric_names(candidate)]
    n = len(base)
    out: dict[str, dict[str, float | list[float | None] | None]] = {}
    diffs: dict[str, list[NDArray[np.float64]]] = {name: [] for name in names}
    if n > 0:
        for weights in resample_weights(n, resamples, group_rng(seed, group)):
            for name in names:
                diffs[name].append(
                    weighted_metric(candidate, name, weights) - weighted_metric(base, name, weights)
                )
    for name in names:
        base_value = point_value(base, name) if n else None
        cand_value = point_value(candidate, name) if n else None
        out[name] = paired_entry(base_value, cand_value, diffs[name], n)
    return out


def paired_entry(
    base_value: float | None, cand_value: float | None, diffs: list[NDArray[np.float64]], n: int
) -> dict[str, float | list[float | None] | None]:
    """One metric's paired comparison from its two point values and its resampled differences (cand - base).

    Shared by the text metrics and the grounding measures (metrics/grounding_stats.py), so both follow one rule.
    """
    if (
        n == 0
        or base_value is None
        or cand_value is None
        or not (np.isfinite(base_value) and np.isfinite(cand_value))
    ):
        return {
            "base": None if base_value is None or not np.isfinite(base_value) else base_value,
            "candidate": None if cand_value is None or not np.isfinite(cand_value) else cand_value,
            "absolute_change": None,
            "relative_change": None,
            "ci": [None, None],
            "p_value": None,
        }
    observed = cand_value - base_value
    entry: dict[str, float | list[float | None] | None] = {
        "base": base_value,
        "candidate": cand_value,
        "absolute_change": observed,
        "relative_change": observed / base_value if base_value != 0 else None,
        "ci": [None, None],
        "p_value": None,
    }
    # One example has no sampling variation: every resample repeats it, so a CI or p-value would be noise
    # dressed as certainty (p = 1/(resamples+1)). Leave both empty below two examples.
    if diffs and n >= 2:
        sampled = np.concatenate(diffs)
        sampled = sampled[np.isfinite(sampled)]
        if sampled.size:
            entry["ci"] = _interval(sampled)
            extreme = np.abs(sampled - observed) >= abs(observed) - 1e-12
            entry["p_value"] = float((1 + extreme.sum()) / (1 + sampled.size))
    return entry


def group_rows(qtypes: list[str]) -> dict[str, list[int]]:
    """Row numbers per qtype, qtypes in sorted order."""
    rows: dict[str, list[int]] = {}
    for i, qtype in enumerate(qtypes):
        rows.setdefault(qtype, []).append(i)
    return dict(sorted(rows.items()))


def summarize_with_qtypes(
    scored: ScoredExamples, qtypes: list[str], *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> dict[str, object]:
    """`{"n", "overall": {...}, "by_qtype": {qtype: {"n", metric: {...}}}}`."""
    overall = summarize(scored, "overall", resamples=resamples, seed=seed)
    by_qtype = {
        qtype: summarize(scored.subset(rows), f"qtype:{qtype}", resamples=resamples, seed=seed)
        for qtype, rows in group_rows(qtypes).items()
    }
    overall.pop("n")
    return {"n": len(scored), "overall": overall, "by_qtype": by_qtype}
