"""A retrieval index over answered QA pairs: BM25 per field (bm25s), fused with MedQuAD's structure.

Why bm25s: it is numpy only (no Rust or Java engine to ship), builds all of MedQuAD in about a second, and hands
back the whole score vector of a field, which is what fusing several fields with structural evidence needs.
tantivy would keep the index on disk with its own field boosts, but its scores come back for the top hits only,
and the structural re-ranking below needs every candidate's per-field score.

Ranking, following the MedQuAD authors' question-entailment idea (a pair answers a question when its *question*
asks the same thing, not when its answer shares words):
1. BM25 on three fields, each scaled by its best score for the query, then weighted: question > focus > answer.
2. The question type (`symptoms`, `treatment`, ...) comes from the query record when it has one; otherwise it is
   inferred from the question's wording (BM25 over the question frames, the questions with the focus taken out:
   "What are the symptoms of ?"), by a vote of the best-matching frames.
3. Structural bonuses: a pair whose focus is the query's focus (or shares a UMLS CUI with it, or whose focus is
   named in the query text) and a pair of the same question type rank higher. The same focus/CUI with the same
   qtype from another collection is the best evidence MedQuAD offers.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medqa_trainer.retrieval.corpus import CorpusError, Passage, normalized_question

INDEX_FORMAT = "medqa-retrieval-index"
INDEX_VERSION = 1
FIELDS = ("question", "focus", "answer", "frame")
CANDIDATES = 200  # pairs re-ranked per query after the field fusion
SPECIFIC_CUI_SUBJECTS = 5  # a CUI shared by more foci than this counts proportionally less


@dataclass(frozen=True)
class Settings:
    question_weight: float = 1.0
    focus_weight: float = 0.6
    answer_weight: float = 0.35
    qtype_bonus: float = 2.0
    focus_bonus: float = 2.0
    k1: float = 1.5
    b: float = 0.75
    stemmer: str = "english"
    stopwords: str = "en"


@dataclass(frozen=True)
class Query:
    text: str
    id: str | None = None
    qtype: str | None = None
    focus: str | None = None
    cuis: tuple[str, ...] = field(default_factory=tuple)


def _cuis(value: object) -> tuple[str, ...]:
    return tuple(c for c in value if isinstance(c, str)) if isinstance(value, list) else ()


def query_from_record(record: object, where: str) -> Query:
    """A query line: `{"id", "question"}` (optional qtype, focus, cuis) or a chat line (the last user turn)."""
    if not isinstance(record, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    text = record.get("question")
    if not isinstance(text, str):
        messages = record.get("messages")
        users = (
            [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
            if isinstance(messages, list)
            else []
        )
        text = users[-1] if users and isinstance(users[-1], str) else None
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f'{where}: no question (expected "question" or a "messages" list with a user turn)')
    qtype, focus, pair_id = record.get("qtype"), record.get("focus"), record.get("id")
    return Query(
        text=text,
        id=str(pair_id) if pair_id is not None else None,
        qtype=qtype if isinstance(qtype, str) else None,
        focus=focus if isinstance(focus, str) else None,
        cuis=_cuis(record.get("cuis")),
    )


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    rank: int

    def as_json(self) -> dict[str, Any]:
        p = self.passage
        return {
            "id": p.id,
            "score": round(self.score, 6),
            "rank": self.rank,
            "url": p.url,
            "text": p.answer,
            "question": p.question,
            "focus": p.focus,
            "qtype": p.qtype,
            "collection": p.collection,
            "source": p.source,
            "split": p.split,
        }


def _stemmer(language: str) -> Callable[[list[str]], list[str]]:
    import Stemmer  # PyStemmer, the Snowball stemmers bm25s recommends

    stemmer = Stemmer.Stemmer(language)
    return stemmer.stemWords  # type: ignore[no-any-return]


def normalized_focus(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", text.lower())) if text else ""


def question_frame(question: str, focus: str | None) -> str:
    """The question's wording without its subject: what the question type is learned from."""
    if not focus:
        return question
    return re.sub(re.escape(focus), " ", question, flags=re.IGNORECASE)


class RetrievalIndex:
    def __init__(self, passages: Sequence[Passage], models: dict[str, Any], settings: Settings) -> None:
        self.passages = list(passages)
        self.models = models
        self.settings = settings
        self._stem = _stemmer(settings.stemmer)
        self._qtypes = np.array([p.qtype for p in self.passages])
        self._by_focus: dict[str, list[int]] = {}
        self._by_cui: dict[str, list[int]] = {}
        self._focus_norm = [normalized_focus(p.focus) for p in self.passages]
        for i, passage in enumerate(self.passages):
            if self._focus_norm[i]:
                self._by_focus.setdefault(self._focus_norm[i], []).append(i)
            for cui in passage.cuis:
                self._by_cui.setdefault(cui, []).append(i)
        self._row_of = {p.id: i for i, p in enumerate(self.passages)}

    # -- building and loading ------------------------------------------------------------------------------------

    @classmethod
    def build(cls, passages: Sequence[Passage], settings: Settings | None = None) -> RetrievalIndex:
        import bm25s

        settings = settings or Settings()
        if not passages:
            raise CorpusError("no answered QA pairs to index")
        stem = _stemmer(settings.stemmer)
        texts = {
            "question": [p.question for p in passages],
            "focus": [p.focus or "" for p in passages],
            "answer": [p.answer for p in passages],
            "frame": [question_frame(p.question, p.focus) for p in passages],
        }
        models: dict[str, Any] = {}
        for name in FIELDS:
            tokens = bm25s.tokenize(
                texts[name], stopwords=settings.stopwords, stemmer=stem, show_progress=False
            )
            if not any(len(ids) for ids in tokens.ids):
                continue  # e.g. no pair has a focus (a CSV without one): the field scores 0 for every pair
            model = bm25s.BM25(k1=settings.k1, b=settings.b)
            model.index(tokens, show_progress=False)
            models[name] = model
        return cls(passages, models, settings)

    def save(self, out: Path, manifest_extra: dict[str, Any]) -> dict[str, Any]:
        """Write the index into `out` atomically: built beside it, then renamed into place."""
        import bm25s

        out = out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for name, model in self.models.items():
                model.save(str(staging / name), show_progress=False)
            with (staging / "passages.jsonl").open("w", encoding="utf-8") as sink:
                for passage in self.passages:
                    sink.write(json.dumps(passage.as_json(), ensure_ascii=False) + "\n")
            manifest = {
                "format": INDEX_FORMAT,
                "version": INDEX_VERSION,
                "library": {"name": "bm25s", "version": bm25s.__version__},
                "pairs": len(self.passages),
                "settings": asdict(self.settings),
                "fields": sorted(self.models),
                **manifest_extra,
            }
            manifest["size_bytes"] = sum(f.stat().st_size for f in staging.rglob("*") if f.is_file())
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            staging.chmod(0o755)
            previous = out.with_name(f".{out.name}.previous")
            if out.exists():
                shutil.rmtree(previous, ignore_errors=True)
                out.rename(previous)
            staging.rename(out)
            shutil.rmtree(previous, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return manifest

    @classmethod
    def load(cls, folder: Path) -> tuple[RetrievalIndex, dict[str, Any]]:
        import bm25s

        manifest = read_manifest(folder)
        settings = Settings(**manifest["settings"])
        models = {
            name: bm25s.BM25.load(str(folder / name), show_progress=False)
            for name in FIELDS
            if (folder / name).is_dir()
        }
        with (folder / "passages.jsonl").open(encoding="utf-8") as lines:
            passages = [Passage.from_json(json.loads(line)) for line in lines if line.strip()]
        if len(passages) != manifest["pairs"]:
            raise CorpusError(
                f"{folder}: passages.jsonl has {len(passages)} pairs, the manifest {manifest['pairs']}; "
                "rebuild the index"
            )
        return cls(passages, models, settings), manifest

    # -- querying ------------------------------------------------------------------------------------------------

    def _field_scores(self, name: str, tokens: list[str]) -> np.ndarray:
        model = self.models.get(name)
        if model is None:
            return np.zeros(len(self.passages), dtype=np.float32)
        ids = model.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(len(self.passages), dtype=np.float32)
        scores: np.ndarray = model.get_scores_from_ids(ids)
        top = float(scores.max(initial=0.0))
        return scores / top if top > 0 else scores

    def tokens(self, text: str) -> list[str]:
        import bm25s

        tokenized = bm25s.tokenize(
            [text],
            stopwords=self.settings.stopwords,
            stemmer=self._stem,
            return_ids=False,
            show_progress=False,
        )
        return list(tokenized[0]) if tokenized else []

    def infer_qtype(self, tokens: list[str]) -> str | None:
        """The question type most of the best-matching question frames have (None when nothing matches)."""
        scores = self._field_scores("frame", tokens)
        best = np.argpartition(-scores, min(20, len(scores) - 1))[:20]
        votes: dict[str, float] = {}
        for i in best:
            if scores[i] > 0:
                key = str(self._qtypes[i])
                votes[key] = votes.get(key, 0.0) + float(scores[i])
        return max(votes, key=lambda k: (votes[k], k)) if votes else None

    def _cui_specificity(self, cui: str) -> float:
        """1 for a CUI that names a few subjects; less for a generic one. MedQuAD tags "Syndrome" (C0039082)
        on hundreds of foci: sharing it says nothing about Down syndrome versus Mycosis Fungoides."""
        subjects = len({self._focus_norm[i] for i in self._by_cui.get(cui, ())})
        return 1.0 if subjects <= SPECIFIC_CUI_SUBJECTS else SPECIFIC_CUI_SUBJECTS / subjects

    def _focus_matches(self, query: Query, text_norm: str, candidates: np.ndarray) -> dict[int, float]:
        """Rows about the query's subject, each with how sure that is (1 = the same focus)."""
        rows: dict[int, float] = {}
        if query.focus:
            rows.update(dict.fromkeys(self._by_focus.get(normalized_focus(query.focus), ()), 1.0))
        for cui in query.cuis:
            weight = self._cui_specificity(cui)
            for i in self._by_cui.get(cui, ()):
                rows[i] = max(rows.get(i, 0.0), weight)
        padded = f" {text_norm} "
        for i in candidates:
            focus = self._focus_norm[int(i)]
            if focus and f" {focus} " in padded:
                rows[int(i)] = 1.0
        return rows

    def search(self, query: Query, k: int, exclude: Callable[[Passage], bool] | None = None) -> list[Hit]:
        s = self.settings
        tokens = self.tokens(query.text)
        fused = (
            s.question_weight * self._field_scores("question", tokens)
            + s.focus_weight * self._field_scores("focus", tokens)
            + s.answer_weight * self._field_scores("answer", tokens)
        )
        qtype = query.qtype or self.infer_qtype(tokens)
        count = min(CANDIDATES, len(fused))
        candidates = np.argpartition(-fused, count - 1)[:count]
        focus_rows = self._focus_matches(query, normalized_focus(query.text), candidates)
        pool = set(int(i) for i in candidates) | set(focus_rows)
        ranked: list[tuple[float, int]] = []
        for i in pool:
            score = float(fused[i]) + s.focus_bonus * focus_rows.get(i, 0.0)
            if qtype is not None and self._qtypes[i] == qtype:
                score += s.qtype_bonus
            if score > 0:
                ranked.append((score, i))
        ranked.sort(key=lambda item: (-item[0], self.passages[item[1]].id))
        hits: list[Hit] = []
        for score, i in ranked:
            passage = self.passages[i]
            if exclude is not None and exclude(passage):
                continue
            hits.append(Hit(passage, score, len(hits) + 1))
            if len(hits) == k:
                break
        return hits


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CorpusError(
            f"{folder}: not a retrieval index (no manifest.json); build one with `index build`"
        ) from error
    except (OSError, json.JSONDecodeError) as error:
        raise CorpusError(f"{path}: unreadable ({error}); rebuild the index") from error
    if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
        raise CorpusError(f'{path}: not a retrieval index manifest (expected "format": "{INDEX_FORMAT}")')
    if manifest.get("version") != INDEX_VERSION:
        raise CorpusError(
            f"{path}: index version {manifest.get('version')} is not {INDEX_VERSION}; rebuild the index"
        )
    return manifest


def duplicate_key(passage: Passage) -> tuple[str, str, str]:
    """Two pairs the dataset's dedupe always groups: the same question type about the same subject, asked in the
    same words (the question frame). The dedupe also groups near frames (Jaccard >= 0.8), so this key is the
    stricter one: a guard built on it never refuses what the split kept apart ("What are marine toxins?" and
    "What is the government doing about Marine Toxins?" share focus and qtype, and are different questions)."""
    focus = normalized_focus(passage.focus)
    frame = normalized_question(question_frame(passage.question, passage.focus)) if focus else ""
    return (focus or normalized_question(passage.question), passage.qtype, frame)


def same_question_or_group(passage: Passage) -> Callable[[Passage], bool]:
    """A filter that leaves out `passage` itself and every member of its duplicate group."""
    question = normalized_question(passage.question)
    key = duplicate_key(passage)

    def excluded(other: Passage) -> bool:
        return (
            other.id == passage.id
            or normalized_question(other.question) == question
            or duplicate_key(other) == key
        )

    return excluded


def leaked_pairs(index: RetrievalIndex, evaluated: Collection[Passage]) -> list[tuple[str, str]]:
    """(evaluated id, index id) pairs where the index holds an evaluated pair or a member of its duplicate group."""
    by_id = {p.id: p for p in index.passages}
    by_question: dict[str, str] = {}
    by_key: dict[tuple[str, str, str], str] = {}
    for p in index.passages:
        by_question.setdefault(normalized_question(p.question), p.id)
        by_key.setdefault(duplicate_key(p), p.id)
    leaks: list[tuple[str, str]] = []
    for e in evaluated:
        hit = (
            (e.id if e.id in by_id else None)
            or by_question.get(normalized_question(e.question))
            or by_key.get(duplicate_key(e))
        )
        if hit is not None:
            leaks.append((e.id, hit))
    return leaks
