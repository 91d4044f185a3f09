"""Adding retrieved sources to chat records, the one way training and evaluation both do it.

Training retrieves from an index over the training split and leaves out the pair itself and its duplicate group
(the same question, or the same question type about the same subject): otherwise the model learns to copy the
answer it is asked for. Evaluation refuses an index that holds an evaluated pair or one of its duplicates
(`leaked_pairs`), so it needs no such filter, and the two render identical prompts for a pair that is in neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medqa_trainer.recorded_paths import recorded_path
from medqa_trainer.retrieval.corpus import CorpusError, Passage, passage_from_chat
from medqa_trainer.retrieval.index import (
    RetrievalIndex,
    leaked_pairs,
    query_from_record,
    same_question_or_group,
)
from medqa_trainer.retrieval.rag import (
    DEFAULT_CONTEXT_TOKENS,
    Source,
    fit_sources,
    render_user_content,
    sources_from_hits,
)

DEFAULT_K = 3


@dataclass(frozen=True)
class RetrievalSetup:
    """What an index adds to prompts; part of the decoding hash, so a changed setting never reuses grades."""

    index: RetrievalIndex
    manifest: dict[str, Any]
    k: int = DEFAULT_K
    context_tokens: int = DEFAULT_CONTEXT_TOKENS

    def describe(self, folder: Path | None = None, out_dir: Path | None = None) -> dict[str, Any]:
        """The setup as metrics.json records it; `index` relative to `out_dir` (the file's folder) when near it."""
        index = (
            None if folder is None else recorded_path(folder, out_dir) if out_dir is not None else str(folder)
        )
        return {
            "index_data_hash": self.manifest["data_hash"],
            "index_settings": self.manifest["settings"],
            "splits": (self.manifest.get("source") or {}).get("splits"),
            "k": self.k,
            "context_tokens": self.context_tokens,
            **({"index": index} if index is not None else {}),
        }

    def hash_part(self) -> str:
        described = self.describe()
        return json.dumps(described, sort_keys=True, separators=(",", ":"))


@dataclass
class AugmentStats:
    records: int = 0
    passages: int = 0
    cut: int = 0
    without_hits: int = 0
    sources: list[list[Source]] = field(default_factory=list)

    def notice(self, context_tokens: int) -> str:
        return (
            f"retrieval: {self.passages} sources added to {self.records} prompts; {self.cut} cut to fit "
            f"{context_tokens} tokens of context; {self.without_hits} prompts found no source"
        )


def load_setup(folder: Path, k: int, context_tokens: int) -> RetrievalSetup:
    if not 1 <= k <= 20:
        raise CorpusError(f"retrieval k must be from 1 to 20, not {k}")
    if context_tokens < 64:
        raise CorpusError(f"retrieval context tokens must be at least 64, not {context_tokens}")
    index, manifest = RetrievalIndex.load(folder)
    return RetrievalSetup(index, manifest, k, context_tokens)


def record_passage(record: dict[str, Any], where: str) -> Passage:
    """The record as a passage, for its duplicate group (unanswered records keep an empty answer)."""
    passage = passage_from_chat(record, where, None)
    if passage is not None:
        return passage
    query = query_from_record(record, where)
    return Passage(
        id=str(record.get("id", where)), question=query.text, answer="", qtype=query.qtype or "unknown",
        collection="", source="", focus=query.focus, cuis=query.cuis,
    )  # fmt: skip


def check_no_leak(setup: RetrievalSetup, records: Sequence[dict[str, Any]], what: str) -> None:
    """Refuse an index that holds an evaluated pair or a member of its duplicate group."""
    evaluated = [record_passage(r, f"{what} line {i + 1}") for i, r in enumerate(records)]
    leaks = leaked_pairs(setup.index, evaluated)
    if leaks:
        shown = "; ".join(f"{e} ~ {i}" for e, i in leaks[:5])
        raise CorpusError(
            f"the retrieval index holds {len(leaks)} of the {len(records)} {what} pairs or their duplicates "
            f"({shown}). A test answer must never be retrieved for itself: build the index over the training "
            "split only (index build --split-file F --splits train)."
        )


def augment(
    records: Sequence[dict[str, Any]],
    setup: RetrievalSetup,
    count_tokens: Callable[[str], int],
    *,
    exclude_own_group: bool,
) -> tuple[list[dict[str, Any]], AugmentStats]:
    """Records whose last user turn carries the top-k sources; the sources given are in `stats.sources`."""
    stats = AugmentStats()
    augmented: list[dict[str, Any]] = []
    for number, record in enumerate(records, start=1):
        where = f"record {number}"
        query = query_from_record(record, where)
        exclude = same_question_or_group(record_passage(record, where)) if exclude_own_group else None
        hits = setup.index.search(query, setup.k, exclude)
        sources = fit_sources(query.text, sources_from_hits(hits), count_tokens, setup.context_tokens)
        stats.records += 1
        stats.passages += len(sources)
        stats.cut += sum(1 for s in sources if s.cut)
        stats.without_hits += 0 if sources else 1
        stats.sources.append(sources)
        messages = [dict(m) for m in record["messages"]]
        last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
        messages[last_user]["content"] = render_user_content(query.text, sources)
        augmented.append({**record, "messages": messages})
    return augmented, stats


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count
