"""Retrieval-augmented prompts: the question with numbered NIH sources, rendered one way for training,
evaluation and the Playground (the Playground asks `retrieve --serve` for this same text).

The sources go into the user turn, so every chat template carries them without a template of our own, and the
model is asked to cite them as [1], [2]. Passages are cut to a token budget (the training `max_length` less the
question, the instructions and room for the answer); every cut is counted so the caller can report it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

INSTRUCTIONS = (
    "Answer the question using the numbered sources from the NIH below. "
    "Cite the sources you use as [1], [2]. If they do not answer it, say so."
)
CUT_MARK = " …"
# The user turn's budget when nothing names another (evaluate's --retrieval-context-tokens default).
DEFAULT_CONTEXT_TOKENS = 384


@dataclass(frozen=True)
class Source:
    """A passage as given to the model: its number in the prompt and the (possibly cut) text."""

    n: int
    id: str
    question: str
    text: str
    url: str | None
    source: str
    score: float
    cut: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "id": self.id,
            "url": self.url,
            "score": round(self.score, 6),
            "question": self.question,
            "text": self.text,
            "cut": self.cut,
        }


def _header(source: Source) -> str:
    where = ", ".join(part for part in (source.source, source.url) if part)
    return f"[{source.n}] {source.question}" + (f" ({where})" if where else "")


def render_user_content(question: str, sources: Sequence[Source]) -> str:
    if not sources:
        return question
    blocks = [f"{_header(s)}\n{s.text}" for s in sources]
    return f"{INSTRUCTIONS}\n\nSources:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"


def sources_from_hits(hits: Sequence[Any]) -> list[Source]:
    """Hits of `RetrievalIndex.search` as numbered sources, best first."""
    return [
        Source(
            n=i + 1,
            id=h.passage.id,
            question=h.passage.question,
            text=h.passage.answer,
            url=h.passage.url,
            source=h.passage.source,
            score=h.score,
        )
        for i, h in enumerate(hits)
    ]


def fit_sources(
    question: str,
    sources: Sequence[Source],
    count_tokens: Callable[[str], int],
    budget: int,
) -> list[Source]:
    """Cut the passages so the rendered user turn takes at most `budget` tokens.

    Each passage gets an equal share of what the question and the headers leave; a passage shorter than its share
    passes its spare tokens on to the ones after it. A passage is cut at a word boundary and marked with " …".
    """
    if not sources:
        return []
    fixed = count_tokens(
        render_user_content(question, [Source(**{**s.__dict__, "text": ""}) for s in sources])
    )
    remaining = max(0, budget - fixed)
    fitted: list[Source] = []
    for position, source in enumerate(sources):
        share = remaining // (len(sources) - position)
        tokens = count_tokens(source.text)
        if tokens <= share:
            fitted.append(source)
            remaining -= tokens
            continue
        text = _cut_to_tokens(source.text, share, count_tokens)
        fitted.append(Source(**{**source.__dict__, "text": text, "cut": True}))
        remaining -= count_tokens(text)
    return fitted


def _cut_to_tokens(text: str, limit: int, count_tokens: Callable[[str], int]) -> str:
    if limit <= 0:
        return CUT_MARK.strip()
    words = text.split(" ")
    low, high = 0, len(words)
    # Binary search on the number of words: tokenizers are not additive across word boundaries.
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(" ".join(words[:middle]) + CUT_MARK) <= limit:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low]) + CUT_MARK
