"""Grounding measures over many answers: overall and per-qtype values with bootstrap CIs, and paired tests.

Uses the resampling of aggregate.py (same count matrices, same per-group seeds and percentile intervals), so a
grounding interval is computed exactly like a token-F1 interval. How each overall value is formed:

- `support`, `citation_valid`: mean over the answers where the measure is defined (each answer counts once);
- `citing`: share of the answers given passages that cite at least one number;
- `fabrication`: unsupported claims per 100 answer words over all answers (sum of claims / sum of words, like
  the token-weighted perplexity), so a three-word answer cannot dominate;
- `fabrication_count`: mean unsupported claims per answer.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medqa_trainer.metrics.aggregate import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    _interval,
    group_rng,
    group_rows,
    paired_entry,
    resample_weights,
)
from medqa_trainer.metrics.grounding import (
    DISEASE_SUFFIXES,
    MAX_ANSWER_CHARS,
    MAX_CITATION_RANGE,
    MAX_SOURCE_CHARS,
    STEMMER,
    STOPWORDS,
    Grounding,
)

GROUNDING_METRICS = ("support", "fabrication", "fabrication_count", "citation_valid", "citing")
# Only where answers were given passages (retrieval runs).
PASSAGE_METRICS = ("citation_valid", "citing")
HIGHER_IS_BETTER = {
    "support": True,
    "fabrication": False,
    "fabrication_count": False,
    "citation_valid": True,
    "citing": True,
}


@dataclass
class GroundingArrays:
    """Per-answer grounding values (row i = answer i); NaN where a measure is not defined for that answer."""

    support: NDArray[np.float64]
    citation_valid: NDArray[np.float64]
    citing: NDArray[np.float64]
    claims: NDArray[np.float64]
    words: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.support)

    def subset(self, rows: Sequence[int] | NDArray[np.int64]) -> GroundingArrays:
        index = np.asarray(rows, dtype=np.int64)
        return GroundingArrays(
            support=self.support[index],
            citation_valid=self.citation_valid[index],
            citing=self.citing[index],
            claims=self.claims[index],
            words=self.words[index],
        )

    def names(self) -> tuple[str, ...]:
        """The measures these answers have: citation ones only when some answer was given passages."""
        with_passages = bool(np.isfinite(self.citing).any())
        return tuple(m for m in GROUNDING_METRICS if with_passages or m not in PASSAGE_METRICS)

    def defined(self, name: str) -> int:
        """Answers a measure is computed over."""
        if name in ("fabrication", "fabrication_count"):
            return len(self)
        return int(np.isfinite(getattr(self, name)).sum())


def grounding_arrays(items: Sequence[Grounding], with_passages: Sequence[bool]) -> GroundingArrays:
    nan = float("nan")

    def column(values: list[float | None]) -> NDArray[np.float64]:
        return np.array([nan if v is None else v for v in values], dtype=np.float64)

    return GroundingArrays(
        support=column([g.support for g in items]),
        citation_valid=column([g.citation_valid for g in items]),
        citing=column(
            [float(bool(g.cited)) if given else None for g, given in zip(items, with_passages, strict=True)]
        ),
        claims=np.array([g.unsupported_count for g in items], dtype=np.float64),
        words=np.array([g.words for g in items], dtype=np.float64),
    )


def _masked_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    mask = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(
            (weights @ np.where(mask, values, 0.0)) / (weights @ mask.astype(np.float64)), dtype=np.float64
        )


def weighted_grounding(
    arrays: GroundingArrays, name: str, weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The measure for each row of `weights` (shape [resamples, n]); NaN where it has no defined answer."""
    if name in ("support", "citation_valid", "citing"):
        return _masked_mean(getattr(arrays, name), weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        if name == "fabrication":
            return np.asarray(100.0 * (weights @ arrays.claims) / (weights @ arrays.words), dtype=np.float64)
        if name == "fabrication_count":
            return np.asarray((weights @ arrays.claims) / weights.sum(axis=1), dtype=np.float64)
    raise ValueError(f"unknown grounding measure {name!r}")


def point(arrays: GroundingArrays, name: str) -> float | None:
    value = float(weighted_grounding(arrays, name, np.ones((1, len(arrays))))[0]) if len(arrays) else None
    return value if value is not None and np.isfinite(value) else None


def summarize_grounding(
    arrays: GroundingArrays,
    group: str = "overall",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """`{"n": n, measure: {"value", "ci", "n": answers it is defined on}, ...}` for one group of answers."""
    names = arrays.names()
    samples: dict[str, list[NDArray[np.float64]]] = {name: [] for name in names}
    if len(arrays):
        for weights in resample_weights(len(arrays), resamples, group_rng(seed, group)):
            for name in names:
                samples[name].append(weighted_grounding(arrays, name, weights))
    result: dict[str, Any] = {"n": len(arrays)}
    for name in names:
        value = point(arrays, name)
        ci = _interval(np.concatenate(samples[name])) if samples[name] and value is not None else [None, None]
        result[name] = {"value": value, "ci": ci, "n": arrays.defined(name)}
    return result


def paired_grounding(
    base: GroundingArrays,
    candidate: GroundingArrays,
    group: str = "overall",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, dict[str, float | list[float | None] | None]]:
    """Paired bootstrap of each measure both sides have, on the same resampled answers as the text metrics."""
    if len(base) != len(candidate):
        raise ValueError("paired comparison needs the same examples in the same order")
    names = [name for name in base.names() if name in candidate.names()]
    n = len(base)
    diffs: dict[str, list[NDArray[np.float64]]] = {name: [] for name in names}
    if n:
        for weights in resample_weights(n, resamples, group_rng(seed, group)):
            for name in names:
                diffs[name].append(
                    weighted_grounding(candidate, name, weights) - weighted_grounding(base, name, weights)
                )
    return {name: paired_entry(point(base, name), point(candidate, name), diffs[name], n) for name in names}


def grounding_settings() -> dict[str, Any]:
    """How the measures were computed (metrics.json `grounding.settings`); see the trainer README."""
    return {
        "note": "Lexical proxies, not truth: they show what can be found in the sources, for grading to check.",
        "sources": "the question, plus each retrieved passage's question and text when the row has `retrieved`",
        "support": "share of the answer's distinct content words (lower-cased, stopwords and single letters "
        "dropped, stemmed) found among the sources' stems; mean over answers with a content word",
        "fabrication": "distinct unsupported claims per 100 answer words, sum of claims / sum of words: "
        "capitalised terms not at a sentence start, numbers and 'N in M' ratios, disease-like words, "
        "capitalised '... syndrome/disease/disorder' names and (ABBREVIATIONS) found in no source",
        "fabrication_count": "mean unsupported claims per answer",
        "citation_valid": "share of the distinct numbers cited as [n], [n, m] or [n-m] that name a given "
        "passage; mean over answers that were given passages and cite at least one",
        "citing": "share of the answers given passages that cite at least one number",
        "stemmer": STEMMER,
        "nltk": importlib.metadata.version("nltk"),
        "stopwords": f"nltk english ({len(STOPWORDS)} words)",
        "disease_suffixes": list(DISEASE_SUFFIXES),
        "max_citation_range": MAX_CITATION_RANGE,
        "max_answer_chars": MAX_ANSWER_CHARS,
        "max_source_chars": MAX_SOURCE_CHARS,
        "units": {
            "support": "0-1",
            "fabrication": "per 100 words",
            "fabrication_count": "per answer",
            "citation_valid": "0-1",
            "citing": "0-1",
        },
    }


def grounding_document(
    arrays: GroundingArrays,
    qtypes: list[str],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """metrics.json `grounding`: `{"n", "overall": {...}, "by_qtype": {qtype: {"n", ...}}, "settings"}`."""
    overall = summarize_grounding(arrays, "overall", resamples=resamples, seed=seed)
    overall.pop("n")
    by_qtype = {
        qtype: summarize_grounding(arrays.subset(rows), f"qtype:{qtype}", resamples=resamples, seed=seed)
        for qtype, rows in group_rows(qtypes).items()
    }
    return {"n": len(arrays), "overall": overall, "by_qtype": by_qtype, "settings": grounding_settings()}
