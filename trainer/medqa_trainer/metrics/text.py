"""Per-example answer metrics, computed with the standard libraries (sacrebleu, rouge-score, nltk).

Every metric is kept per example (or, for BLEU, as per-example sufficient statistics) so that corpus values,
per-qtype values and bootstrap resamples are all aggregations of the same arrays.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medqa_trainer.metrics.lcs import lcs_length

# Settings recorded in metrics.json so numbers from different runs are comparable only when these match.
ROUGE_USE_STEMMER = False
METEOR_TOKENIZER = "nltk.wordpunct_tokenize"
# ROUGE-L's LCS costs (shorter text)^2 / 8 bytes at worst and time in the product of the lengths: each text is cut
# to this many tokens, over four times the longest MedQuAD answer (4,251), so real answers are never cut. BLEU,
# METEOR (NLTK >= 3.10 aligns through an index), EM and F1 grow linearly and see every token.
ROUGE_L_MAX_TOKENS = 20_000

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation and English articles, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, reference: str) -> float:
    """100 when the normalised strings are equal, else 0 (SQuAD EM, in percent)."""
    return 100.0 if normalize_answer(prediction) == normalize_answer(reference) else 0.0


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token-overlap F1 on normalised tokens, in percent. Two empty answers count as a match."""
    pred_tokens = normalize_answer(prediction).split()
    ref_tokens = normalize_answer(reference).split()
    if not pred_tokens or not ref_tokens:
        return 100.0 if pred_tokens == ref_tokens else 0.0
    common = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred_tokens)
    recall = common / len(ref_tokens)
    return 100.0 * 2 * precision * recall / (precision + recall)


@cache
def _bleu() -> Any:
    from sacrebleu.metrics.bleu import BLEU

    return BLEU()  # defaults: 13a tokenizer, exp smoothing, 4-grams: the usual sacrebleu corpus BLEU


def bleu_signature() -> str:
    bleu = _bleu()
    if not hasattr(bleu, "num_refs") or bleu.num_refs <= 0:
        bleu.corpus_score(["x"], [["x"]])  # the signature needs the reference count resolved once
    return str(bleu.get_signature())


def bleu_statistics(predictions: Sequence[str], references: Sequence[str]) -> NDArray[np.int64]:
    """Per-example BLEU sufficient statistics: [hyp_len, ref_len, correct_1..4, total_1..4] per row."""
    if not predictions:
        return np.zeros((0, 10), dtype=np.int64)
    stats = _bleu()._extract_corpus_statistics(list(predictions), [list(references)])
    return np.asarray(stats, dtype=np.int64).reshape(len(predictions), -1)


def bleu_from_statistics(stats: NDArray[np.int64], *, sentence: bool = False) -> float:
    """Corpus BLEU (0-100) from summed statistics; `sentence=True` gives sacrebleu's sentence_bleu settings."""
    from sacrebleu.metrics.bleu import BLEU

    bleu = _bleu()
    order = bleu.max_ngram_order
    totals = stats.sum(axis=0) if stats.ndim == 2 else stats
    score = BLEU.compute_bleu(
        correct=[int(x) for x in totals[2 : 2 + order]],
        total=[int(x) for x in totals[2 + order :]],
        sys_len=int(totals[0]),
        ref_len=int(totals[1]),
        smooth_method=bleu.smooth_method,
        smooth_value=bleu.smooth_value,
        effective_order=sentence,
        max_ngram_order=order,
    )
    return float(score.score)


@cache
def _rouge() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=ROUGE_USE_STEMMER)


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's own tokens (lowercased alphanumeric runs), all of them."""
    return list(_rouge()._tokenizer.tokenize(text))


def rouge_l_truncated(prediction: str, reference: str) -> bool:
    """Whether ROUGE-L of this pair saw only the first ROUGE_L_MAX_TOKENS tokens of one of the texts."""
    return max(len(rouge_tokens(prediction)), len(rouge_tokens(reference))) > ROUGE_L_MAX_TOKENS


def rouge_l(prediction: str, reference: str) -> float:
    """rouge-score's ROUGE-L F-measure (0-1), with its LCS computed in memory linear in the shorter text.

    The same tokens, LCS length and F-measure as `RougeScorer(["rougeL"]).score` (tests check equality); only
    the LCS table is replaced (see lcs.py). Texts beyond ROUGE_L_MAX_TOKENS tokens are cut to that many, which
    metrics.json reports (`long_texts`).
    """
    from rouge_score import scoring

    target = rouge_tokens(reference)[:ROUGE_L_MAX_TOKENS]
    candidate = rouge_tokens(prediction)[:ROUGE_L_MAX_TOKENS]
    if not target or not candidate:
        return 0.0
    common = lcs_length(target, candidate)
    return float(scoring.fmeasure(common / len(candidate), common / len(target)))


@cache
def _meteor_backend() -> tuple[Any, Any]:
    from nltk.corpus import wordnet
    from nltk.translate.meteor_score import meteor_score

    from medqa_trainer.wordnet_setup import ensure_wordnet

    ensure_wordnet()
    wordnet.ensure_loaded()
    return meteor_score, wordnet


def meteor_tokens(text: str) -> list[str]:
    from nltk.tokenize import wordpunct_tokenize

    return list(wordpunct_tokenize(text))


def meteor(prediction: str, reference: str) -> float:
    """NLTK METEOR (0-1) on wordpunct tokens, WordNet synonyms from the local database."""
    meteor_score, wordnet = _meteor_backend()
    hypothesis = meteor_tokens(prediction)
    ref_tokens = meteor_tokens(reference)
    if not hypothesis or not ref_tokens:
        return 1.0 if hypothesis == ref_tokens else 0.0
    return float(meteor_score([ref_tokens], hypothesis, wordnet=wordnet))


TEXT_METRICS = ("exact_match", "f1", "bleu", "rouge_l", "meteor")


@dataclass
class ScoredExamples:
    """Per-example metric arrays for one set of predictions (row i = example i)."""

    exact_match: NDArray[np.float64]
    f1: NDArray[np.float64]
    rouge_l: NDArray[np.float64]
    meteor: NDArray[np.float64]
    bleu_stats: NDArray[np.int64]
    # Perplexity needs a model: summed answer-token NLL and answer-token counts, or None.
    loss_sum: NDArray[np.float64] | None = None
    answer_tokens: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.f1)

    def subset(self, rows: Sequence[int] | NDArray[np.int64]) -> ScoredExamples:
        index = np.asarray(rows, dtype=np.int64)
        return ScoredExamples(
            exact_match=self.exact_match[index],
            f1=self.f1[index],
            rouge_l=self.rouge_l[index],
            meteor=self.meteor[index],
            bleu_stats=self.bleu_stats[index],
            loss_sum=None if self.loss_sum is None else self.loss_sum[index],
            answer_tokens=None if self.answer_tokens is None else self.answer_tokens[index],
        )

    def example_scores(self, i: int) -> dict[str, float | None]:
        """The per-example values written into predictions.jsonl."""
        scores: dict[str, float | None] = {
            "exact_match": float(self.exact_match[i]),
            "f1": round(float(self.f1[i]), 4),
            "bleu": round(bleu_from_statistics(self.bleu_stats[i], sentence=True), 4),
            "rouge_l": round(float(self.rouge_l[i]), 6),
            "meteor": round(float(self.meteor[i]), 6),
        }
        if self.loss_sum is not None and self.answer_tokens is not None:
            tokens = float(self.answer_tokens[i])
            scores["perplexity"] = round(float(np.exp(self.loss_sum[i] / tokens)), 4) if tokens else None
        return scores


def score_examples(
    predictions: Sequence[str],
    references: Sequence[str],
    loss_sum: Sequence[float] | None = None,
    answer_tokens: Sequence[int] | None = None,
) -> ScoredExamples:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    pairs = list(zip(predictions, references, strict=True))
    return ScoredExamples(
        exact_match=np.array([exact_match(p, r) for p, r in pairs], dtype=np.float64),
        f1=np.array([token_f1(p, r) for p, r in pairs], dtype=np.float64),
        rouge_l=np.array([rouge_l(p, r) for p, r in pairs], dtype=np.float64),
        meteor=np.array([meteor(p, r) for p, r in pairs], dtype=np.float64),
        bleu_stats=bleu_statistics(predictions, references),
        loss_sum=None if loss_sum is None else np.asarray(loss_sum, dtype=np.float64),
        answer_tokens=None if answer_tokens is None else np.asarray(answer_tokens, dtype=np.float64),
    )


def concat_scored(parts: Sequence[ScoredExamples]) -> ScoredExamples:
    """One ScoredExamples from consecutive batches (all with or all without losses)."""
    with_loss = all(p.loss_sum is not None and p.answer_tokens is not None for p in parts)

    def losses(name: str) -> NDArray[np.float64] | None:
        return np.concatenate([getattr(p, name) for p in parts]) if with_loss else None

    return ScoredExamples(
        exact_match=np.concatenate([p.exact_match for p in parts]),
        f1=np.concatenate([p.f1 for p in parts]),
        rouge_l=np.concatenate([p.rouge_l for p in parts]),
        meteor=np.concatenate([p.meteor for p in parts]),
        bleu_stats=np.concatenate([p.bleu_stats for p in parts]),
        loss_sum=losses("loss_sum"),
        answer_tokens=losses("answer_tokens"),
    )
