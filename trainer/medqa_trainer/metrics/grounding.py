"""Measures of grounding for one answer: citation validity, support and a fabrication proxy (issue 18).

These are cheap lexical signals, not truth. They say whether the words, names and numbers of an answer can be
found in what the model was given (its question and, for retrieval runs, the numbered passages), so that a
grader knows where to look. They cannot tell a correct paraphrase from a wrong one, and an answer that copies
the wrong passage scores as well grounded. How each is computed, and its limits, is written in the trainer
README ("Measures of grounding") and docs/protocol.md §3.

- `citation_valid`: share of the distinct numbers cited as [n], [n, m] or [n-m] that name a given passage;
  None when the answer cites nothing.
- `support`: share of the answer's distinct content words (lower-cased, stopwords dropped, Snowball-stemmed)
  that occur in the sources (question + passages); None when the answer has no content word.
- `fabrication`: distinct "claims" found in no source, per 100 answer words. Claims are capitalised terms not
  at a sentence start, numbers (with "1 in 250,000"-style ratios as one claim), disease-like words
  (-itis, -osis, -oma, ...), "<modifiers> syndrome/disease/disorder" phrases and abbreviations in parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

STEMMER = "nltk.stem.SnowballStemmer('english')"
MAX_LISTED_CLAIMS = 20  # unsupported claims listed per answer (the count is always complete)
MAX_CITATION_RANGE = 20  # [1-100000] is not expanded (same bound as retrieval.rag)
# A claim is only as long as a few words; a pathological one-line "word" must not make the work quadratic.
_MAX_TOKEN = 200
# Work bounds (recorded in metrics.json settings; a row read only in part says `cut`): 40x MedQuAD's longest answer,
# so only broken or hostile files reach them, and a 1,000,000-character answer still scores in seconds.
MAX_ANSWER_CHARS = 200_000
MAX_SOURCE_CHARS = 1_000_000

# NLTK's English stopword list (nltk.corpus.stopwords, 179 words), inlined: its corpus is a separate
# download, and scoring must work offline.
STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him
    his himself she she's her hers herself it it's its itself they them their theirs themselves what which who
    whom this that that'll these those am is are was were be been being have has had having do does did doing a
    an the and but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here there when
    where why how all any both each few more most other some such no nor not only own same so than too very s t
    can will just don don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't
    doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't
    shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't""".split()  # noqa: SIM905 (the list as NLTK prints it, easy to check)
)

# As retrieval.rag reads them (the shared cases in test/fixtures/retrieval/citations.json); at most 6 digits.
_CITATION = re.compile(r"\[(\d{1,6}(?:\s*[-\u2013,]\s*\d{1,6})*)\]")
_WORD = re.compile(r"[A-Za-z]+")
_WORD_OR_NUMBER = re.compile(r"[A-Za-z]+|\d+")
_COUNTED_WORD = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*")  # "250,000" and "2.5" are one word each
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")
_RATIO = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)\s+(?:in|out\s+of)\s+(?:every\s+)?(\d{1,3}(?:,\d{3})+|\d+)(?![\w])"
)
_LIST_MARKER = re.compile(r"(?m)^[ \t]*(\d{1,3})[.)](?=\s)")
_TOKEN = re.compile(r"\S+")
_EDGE = "\"'\u201c\u201d\u2018\u2019`([{<*_"
_TRAILING = ".,;:!?)]}>\"'\u201c\u201d\u2018\u2019`*_"
_SENTENCE_END = (".", "!", "?", ":", ";")
_BULLETS = frozenset({"-", "*", "\u2022", "\u2013", "\u2014", "+"})
_HEADS = re.compile(r"\b(?:syndromes?|diseases?|disorders?)\b", re.IGNORECASE)
_PAREN_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z0-9-]{0,9}[A-Z0-9]s?)\)")
DISEASE_SUFFIXES = ("itis", "osis", "oses", "oma", "omas", "emia", "aemia", "pathy", "plasia", "trophy")
# Ordinary words with a disease-like ending.
_NOT_DISEASES = frozenset(
    {
        "diagnosis", "diagnoses", "prognosis", "prognoses", "diploma", "aroma", "sympathy", "empathy",
        "apathy", "antipathy", "telepathy", "trophy", "academia", "hypnosis", "osmosis", "symbiosis",
        "metamorphosis", "kilometer", "stroma", "soma", "chromosomes", "homeopathy", "naturopathy",
        "osteopathy",
    }
)  # fmt: skip


@cache
def _stemmer() -> Any:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


@lru_cache(maxsize=1 << 16)  # bounded: a long random text must not grow it without end
def stem(word: str) -> str:
    return str(_stemmer().stem(word.lower()))


def cited_numbers(text: str) -> list[int]:
    """Distinct source numbers cited as [n], [n, m] or [n-m], in order of first citation."""
    cited: dict[int, None] = {}
    for match in _CITATION.finditer(text):
        for part in match.group(1).split(","):
            ends = [int(x) for x in re.split(r"\s*[-\u2013]\s*", part.strip()) if x]
            if len(ends) == 2 and 0 <= ends[1] - ends[0] <= MAX_CITATION_RANGE:
                cited.update(dict.fromkeys(range(ends[0], ends[1] + 1)))
            else:
                cited.update(dict.fromkeys(ends))
    return list(cited)


def _number_key(integer: str, fraction: str | None) -> str:
    whole = str(int(integer.replace(",", "")))
    fraction = (fraction or "").rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


@dataclass(frozen=True)
class Sources:
    """What an answer may draw on, reduced to comparable sets: word stems, lower-case words, numbers."""

    stems: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]
    ratios: frozenset[tuple[str, str]]

    @staticmethod
    def of(texts: Sequence[str]) -> Sources:
        text = "\n".join(texts)
        # Digit runs too: the "46" and "1" of a gene name like SLC46A1 are checked as its parts.
        words = frozenset(w.lower() for w in _WORD_OR_NUMBER.findall(text) if len(w) <= _MAX_TOKEN)
        numbers = frozenset(_number_key(m.group(1), m.group(2)) for m in _NUMBER.finditer(text))
        ratios = frozenset(
            (_number_key(m.group(1), None), _number_key(m.group(2), None)) for m in _RATIO.finditer(text)
        )
        return Sources(frozenset(stem(w) for w in words), words, numbers, ratios)

    def has_word(self, word: str) -> bool:
        lower = word.lower()
        return lower in self.words or stem(lower) in self.stems


@dataclass(frozen=True)
class Grounding:
    """The grounding measures of one answer (what `score` writes per row)."""

    citation_valid: float | None
    cited: list[int]
    support: float | None
    content_words: int
    supported_words: int
    words: int
    unsupported: list[str] = field(default_factory=list)
    unsupported_count: int = 0
    sources: str = "none"
    cut: bool = False  # the answer or its sources were longer than MAX_ANSWER_CHARS / MAX_SOURCE_CHARS

    @property
    def fabrication(self) -> float:
        """Unsupported claims per 100 answer words (0 for an answer without words)."""
        return 100.0 * self.unsupported_count / self.words if self.words else 0.0


def _without_citations(text: str) -> str:
    # Same length, so claim offsets stay those of the answer.
    return _CITATION.sub(lambda m: " " * len(m.group(0)), text)


def _number_spans(text: str, sources: Sources) -> list[tuple[int, int, str, bool]]:
    """Numbers, with "1 in 250,000" as one claim; a list marker ("1." at a line start) is not a claim."""
    markers = {m.start(1) for m in _LIST_MARKER.finditer(text)}
    spans: list[tuple[int, int, str, bool]] = []
    in_ratio: set[int] = set()
    for m in _RATIO.finditer(text):
        key = (_number_key(m.group(1), None), _number_key(m.group(2), None))
        found = key in sources.ratios or (key[0] in sources.numbers and key[1] in sources.numbers)
        spans.append((m.start(), m.end(), m.group(0), found))
        in_ratio.update(range(m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        if m.start() in in_ratio or m.start() in markers:
            continue
        spans.append((m.start(), m.end(), m.group(0), _number_key(m.group(1), m.group(2)) in sources.numbers))
    return spans


def _sentence_start(previous: str | None, gap: str) -> bool:
    if previous is None or "\n" in gap:
        return True
    if previous in _BULLETS or re.fullmatch(r"\d{1,3}[.)]", previous):
        return True
    return previous.rstrip("\"'\u201c\u201d\u2018\u2019)]}*_").endswith(_SENTENCE_END)


def _term_spans(text: str, sources: Sources) -> list[tuple[int, int, str, bool]]:
    """Capitalised terms not at a sentence start, and disease-like words anywhere."""
    spans: list[tuple[int, int, str, bool]] = []
    previous: str | None = None
    previous_end = 0
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        gap = text[previous_end : m.start()]
        at_start = _sentence_start(previous, gap)
        previous, previous_end = token, m.end()
        core = token.lstrip(_EDGE).rstrip(_TRAILING)
        if not core or len(core) > _MAX_TOKEN:
            continue
        start = m.start() + token.index(core)
        parts = _WORD_OR_NUMBER.findall(core)
        letters = [p for p in parts if p.isalpha()]
        if not letters:
            continue
        lower = core.lower()
        capitalised = core[0].isupper() and not at_start and lower not in STOPWORDS
        disease_like = (
            len(letters) == 1
            and len(lower) >= 6
            and lower.endswith(DISEASE_SUFFIXES)
            and lower not in _NOT_DISEASES
        )
        if capitalised or disease_like:
            found = all(sources.has_word(p) for p in parts)
            spans.append((start, start + len(core), core, found))
    return spans


def _phrase_spans(text: str, sources: Sources) -> list[tuple[int, int, str, bool]]:
    """Named "... syndrome/disease/disorder" phrases: up to 3 words before the head, from the first capitalised
    one ("the rare Huntington disease" -> "Huntington disease"); found when every modifier is in the sources.
    Lower-case phrases ("genetic disorders") are descriptions, not names, and are left out."""
    spans: list[tuple[int, int, str, bool]] = []
    for head in _HEADS.finditer(text):
        before = text[max(0, head.start() - 160) : head.start()]  # three words; longer ones are not names
        run = re.search(r"((?:[A-Za-z0-9][\w'\u2019/-]*[ \t]+){1,3})$", before)
        if not run:
            continue
        words = run.group(1).split()
        first = next((i for i, w in enumerate(words) if w[0].isupper() and w.lower() not in STOPWORDS), None)
        if first is None:
            continue
        run_start = head.start() - len(run.group(1))
        # "Like Huntington disease": a sentence's first word is capitalised anyway; start at the next
        # capitalised one when there is one ("Rexlone endotheliotic disease" keeps its first word).
        before_run = before[
            : len(before) - len(run.group(1))
        ]  # the window only: a whole-text slice is quadratic
        gap = before_run[len(before_run.rstrip()) :]
        at_start = first == 0 and _sentence_start(before_run.split()[-1] if before_run.strip() else None, gap)
        if at_start:
            later = next((i for i, w in enumerate(words) if i > 0 and w[0].isupper()), None)
            first = later if later is not None else first
        words = words[first:]
        start = run_start + run.group(1).index(words[0])
        parts = [p for w in words for p in _WORD_OR_NUMBER.findall(w)]
        found = all(sources.has_word(p) for p in parts)
        spans.append((start, head.end(), text[start : head.end()], found))
    return spans


def _abbreviation_spans(text: str, sources: Sources) -> list[tuple[int, int, str, bool]]:
    return [
        (
            m.start(),
            m.end(),
            m.group(0),
            all(sources.has_word(p) for p in _WORD_OR_NUMBER.findall(m.group(1))),
        )
        for m in _PAREN_ABBREVIATION.finditer(text)
    ]


def unsupported_claims(answer: str, sources: Sources) -> list[str]:
    """Distinct claims of `answer` found in no source, in answer order.

    Overlapping unsupported spans, or ones separated only by spaces, are one claim: "reticuloendothelial
    fibrosis (RIF)" is one invented name, not two; "(RIF)" and a later "RIF" are the same claim.
    """
    text = _without_citations(answer)
    spans = [
        s
        for finder in (_number_spans, _term_spans, _phrase_spans, _abbreviation_spans)
        for s in finder(text, sources)
        if not s[3]
    ]
    merged: list[list[int]] = []
    for start, end, _, _ in sorted(spans):
        if merged and (start <= merged[-1][1] or re.fullmatch(r"[ \t()]*", text[merged[-1][1] : start])):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    claims: dict[str, str] = {}
    for start, end in merged:
        surface = " ".join(text[start:end].split())
        claims.setdefault(surface.lower().replace("(", "").replace(")", ""), surface)
    return list(claims.values())


def content_stems(text: str) -> set[str]:
    """Distinct stems of the words that carry content (stopwords and single letters dropped)."""
    return {
        stem(w)
        for w in _WORD.findall(text)
        if len(w) > 1 and len(w) <= _MAX_TOKEN and w.lower() not in STOPWORDS
    }


def passage_texts(passages: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """What the prompt showed of each passage: its pair's question (the source's heading) and its text."""
    return [f"{p.get('question') or ''}\n{p.get('text') or ''}" for p in passages or []]


def ground(answer: str, question: str | None, passages: Sequence[Mapping[str, Any]] | None) -> Grounding:
    """All grounding measures of one answer. `passages=None`: closed-book (checked against the question only)."""
    texts = ([question] if question else []) + passage_texts(passages)
    joined = "\n".join(texts)
    cut = len(answer) > MAX_ANSWER_CHARS or len(joined) > MAX_SOURCE_CHARS
    answer, joined = answer[:MAX_ANSWER_CHARS], joined[:MAX_SOURCE_CHARS]
    sources = Sources.of([joined])
    cited = cited_numbers(answer)
    citation_valid = None
    if passages is not None and cited:
        given = {p.get("n") for p in passages}
        citation_valid = sum(n in given for n in cited) / len(cited)
    plain = _without_citations(answer)
    stems = content_stems(plain)
    supported = sum(s in sources.stems for s in stems)
    claims = unsupported_claims(answer, sources)
    kind = "+".join(
        name for name, present in (("question", bool(question)), ("passages", bool(passages))) if present
    )
    return Grounding(
        citation_valid=citation_valid,
        cited=cited,
        support=supported / len(stems) if stems else None,
        content_words=len(stems),
        supported_words=supported,
        words=len(_COUNTED_WORD.findall(plain)),
        unsupported=claims[:MAX_LISTED_CLAIMS],
        unsupported_count=len(claims),
        sources=kind or "none",
        cut=cut,
    )
