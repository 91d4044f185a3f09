"""Grounding measures on prediction rows: what `score`, `evaluate` and `compare` call.

A row is closed-book unless it carries `retrieved` (the passages as given to the model, docs/protocol.md §3);
closed-book answers are checked against their question alone, which is the point: nothing backs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medqa_trainer.metrics.aggregate import DEFAULT_RESAMPLES, DEFAULT_SEED
from medqa_trainer.metrics.grounding import Grounding, ground
from medqa_trainer.metrics.grounding_stats import GroundingArrays, grounding_arrays, grounding_document

MAX_PASSAGES = 1000  # more "passages" than any prompt holds is a broken file, not a retrieval run


def retrieved_problems(value: Any, where: str) -> list[str]:
    """Problems of a row's `retrieved` field (absent or null is fine: a closed-book row)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"{where}: 'retrieved' must be a list of passages, got {type(value).__name__}"]
    if len(value) > MAX_PASSAGES:
        return [f"{where}: 'retrieved' has {len(value)} passages (at most {MAX_PASSAGES})"]
    for i, passage in enumerate(value):
        n = passage.get("n") if isinstance(passage, dict) else None
        if not isinstance(passage, dict) or not isinstance(n, int) or isinstance(n, bool):
            return [
                f"{where}: retrieved[{i}] must be an object with an integer 'n' (its number in the prompt)"
            ]
        for field in ("text", "question"):
            if passage.get(field) is not None and not isinstance(passage[field], str):
                return [f"{where}: retrieved[{i}].{field} must be a string"]
    return []


def passages_of(row: dict[str, Any]) -> list[dict[str, Any]] | None:
    retrieved = row.get("retrieved")
    return retrieved if isinstance(retrieved, list) else None


def row_groundings(rows: Sequence[dict[str, Any]], texts: Sequence[str] | None = None) -> list[Grounding]:
    """The grounding of each row's prediction (or of the given replacement texts, e.g. cleaned answers)."""
    answers = [str(r["prediction"]) for r in rows] if texts is None else list(texts)
    return [
        ground(answer, r.get("question") if isinstance(r.get("question"), str) else None, passages_of(r))
        for r, answer in zip(rows, answers, strict=True)
    ]


def arrays_for(rows: Sequence[dict[str, Any]], texts: Sequence[str] | None = None) -> GroundingArrays:
    return grounding_arrays(row_groundings(rows, texts), [passages_of(r) is not None for r in rows])


def add_to_record(record: dict[str, Any], grounding: Grounding, with_passages: bool) -> None:
    """`scores.support`, `scores.fabrication` (+ `citation_valid` with passages) and the `grounding` details."""
    scores = record.setdefault("scores", {})
    scores["support"] = None if grounding.support is None else round(grounding.support, 6)
    scores["fabrication"] = round(grounding.fabrication, 4)
    if with_passages:
        scores["citation_valid"] = (
            None if grounding.citation_valid is None else round(grounding.citation_valid, 6)
        )
    record["grounding"] = {
        "sources": grounding.sources,
        "cited": grounding.cited,
        "content_words": grounding.content_words,
        "supported_words": grounding.supported_words,
        "words": grounding.words,
        "unsupported_count": grounding.unsupported_count,
        "unsupported": grounding.unsupported,
        "cut": grounding.cut,
    }


def document_for_rows(
    rows: Sequence[dict[str, Any]],
    qtypes: list[str],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    return grounding_document(arrays_for(rows), qtypes, resamples=resamples, seed=seed)


def summary_line(grounding: dict[str, Any] | None) -> str | None:
    """ "grounding (proxies, not truth): support 0.412 · fabrication 3.1 per 100 words · …" for the terminal."""
    overall = (grounding or {}).get("overall") or {}

    def text(name: str, label: str, digits: int, unit: str = "") -> str | None:
        value = (overall.get(name) or {}).get("value")
        return (
            None
            if name not in overall
            else f"{label} {'—' if value is None else f'{value:.{digits}f}'}{unit}"
        )

    parts = [
        text("support", "support", 3),
        text("fabrication", "fabrication", 2, " per 100 words"),
        text("citation_valid", "citation validity", 3),
        text("citing", "citing", 3),
    ]
    shown = [p for p in parts if p]
    return "grounding (proxies, not truth): " + " · ".join(shown) if shown else None
