"""Every metric on hand-checked examples, and the bootstrap machinery on cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sacrebleu

from medqa_trainer.metrics import (
    bleu_from_statistics,
    bleu_statistics,
    exact_match,
    meteor,
    normalize_answer,
    paired_comparison,
    point_value,
    rouge_l,
    score_examples,
    summarize,
    summarize_with_qtypes,
    token_f1,
)
from medqa_trainer.metrics.text import concat_scored

ANSWER = "Glaucoma is a group of diseases that can damage the eye's optic nerve."


def test_squad_normalisation_and_exact_match() -> None:
    assert normalize_answer("The  Cat, sat! on A mat.") == "cat sat on mat"
    assert exact_match("The cat!", "cat") == 100.0
    assert exact_match("cat", "dog") == 0.0


def test_token_f1_hand_checked() -> None:
    # "cat sat" vs "cat stood" after normalisation: 1 common token, P = R = 1/2.
    assert token_f1("the cat sat", "a cat stood") == pytest.approx(50.0)
    # 3 common of 4 predicted and 3 reference tokens ("is" does not count twice): P=3/4, R=3/3.
    assert token_f1("cat on mat dog", "cat on mat") == pytest.approx(100 * 2 * 0.75 / 1.75)
    assert token_f1(ANSWER, ANSWER) == 100.0
    assert token_f1("alpha beta", "gamma delta") == 0.0
    assert token_f1("", "") == 100.0
    assert token_f1("", "something") == 0.0


def test_bleu_identical_disjoint_and_hand_computed() -> None:
    identical = bleu_statistics([ANSWER], [ANSWER])
    assert bleu_from_statistics(identical) == pytest.approx(100.0)
    assert bleu_from_statistics(bleu_statistics(["alpha beta gamma delta"], ["one two three four"])) == 0.0
    # Hand count: 1-grams 5/6, 2-grams 3/5, 3-grams 1/4, 4-grams 0/3; sacrebleu's exp smoothing turns the
    # zero 4-gram precision into 1/(2*3); equal lengths so no brevity penalty.
    stats = bleu_statistics(["the cat sat on the mat"], ["the cat is on the mat"])
    assert stats.tolist() == [[6, 6, 5, 3, 1, 0, 6, 5, 4, 3]]
    expected = 100 * (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25
    assert bleu_from_statistics(stats) == pytest.approx(expected)
    # Corpus BLEU sums the counts: adding an exact 4-token match gives 9/10, 6/8, 3/6, 1/4.
    corpus = bleu_statistics(["the cat sat on the mat", "a b c d"], ["the cat is on the mat", "a b c d"])
    assert bleu_from_statistics(corpus) == pytest.approx(100 * (0.9 * 0.75 * 0.5 * 0.25) ** 0.25)


def test_bleu_matches_sacrebleu_corpus_and_sentence_scores() -> None:
    hyps = [
        "the cat sat on the mat",
        "Kidney stones pass with water.",
        "",
        "Surgery may be needed for large stones.",
    ]
    refs = [
        "the cat is on the mat",
        "Small kidney stones often pass with water.",
        "Rest.",
        "Large stones need surgery.",
    ]
    stats = bleu_statistics(hyps, refs)
    assert bleu_from_statistics(stats) == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)
    for i, (hyp, ref) in enumerate(zip(hyps, refs, strict=True)):
        assert bleu_from_statistics(stats[i], sentence=True) == pytest.approx(
            sacrebleu.sentence_bleu(hyp, [ref]).score
        )


def test_rouge_l_hand_computed() -> None:
    assert rouge_l(ANSWER, ANSWER) == pytest.approx(1.0)
    assert rouge_l("alpha beta", "gamma delta") == 0.0
    # LCS "the cat on the mat" = 5 of 6 tokens each way.
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    # LCS "a c e" = 3: precision 3/5, recall 3/3 -> F = 2*0.6*1/1.6.
    assert rouge_l("a b c d e", "a c e") == pytest.approx(0.75)


def test_meteor_identical_disjoint_and_wordnet_synonyms() -> None:
    # One chunk of 6 matches: penalty 0.5 * (1/6)^3.
    assert meteor("the house is big and old", "the house is big and old") == pytest.approx(1 - 0.5 / 216)
    assert meteor(ANSWER, ANSWER) > 0.99
    assert meteor("alpha beta", "gamma delta") == 0.0
    assert meteor("", "something") == 0.0
    # "sick" and "ill" share a WordNet synset, "tall" does not: only a working WordNet gives the difference.
    # (NLTK looks synonyms up after stemming the reference, so the pair must survive Porter stemming.)
    assert meteor("the patient is sick", "the patient is ill") == pytest.approx(1 - 0.5 / 64)
    assert meteor("the patient is tall", "the patient is ill") == pytest.approx(0.75 - 0.75 * 0.5 / 27)


def test_score_examples_rows_and_concat() -> None:
    scored = score_examples(["the cat sat on the mat", ANSWER], ["the cat is on the mat", ANSWER])
    assert scored.exact_match.tolist() == [0.0, 100.0]
    assert scored.example_scores(1)["rouge_l"] == pytest.approx(1.0)
    assert "perplexity" not in scored.example_scores(0)
    both = concat_scored([scored.subset([0]), scored.subset([1])])
    assert both.f1.tolist() == scored.f1.tolist()
    assert both.bleu_stats.tolist() == scored.bleu_stats.tolist()


def test_perplexity_is_token_weighted() -> None:
    # Example 1: 2 tokens, total loss 2 (mean 1); example 2: 6 tokens, total loss 18 (mean 3).
    scored = score_examples(["x", "y"], ["x", "y"], loss_sum=[2.0, 18.0], answer_tokens=[2, 6])
    assert point_value(scored, "perplexity") == pytest.approx(math.exp(20 / 8))
    assert scored.example_scores(1)["perplexity"] == pytest.approx(
        math.exp(3), abs=1e-4
    )  # rounded for the file


def test_bootstrap_ci_is_seeded_and_brackets_the_value() -> None:
    rng = np.random.default_rng(1)
    refs = [f"answer number {i} about kidney stones" for i in range(40)]
    preds = [r if rng.random() < 0.5 else "something else entirely" for r in refs]
    scored = score_examples(preds, refs)
    first = summarize(scored, resamples=300, seed=7)
    assert first == summarize(scored, resamples=300, seed=7)
    assert first != summarize(scored, resamples=300, seed=8)
    for name in ("exact_match", "f1", "bleu", "rouge_l", "meteor"):
        entry = first[name]
        assert isinstance(entry, dict)
        low, high = entry["ci"]
        assert low <= entry["value"] <= high
        assert low < high  # a mix of hits and misses cannot give a degenerate interval
    assert first["n"] == 40


def test_summary_by_qtype_counts_and_values() -> None:
    scored = score_examples(["a", "b", "c"], ["a", "x", "c"])
    summary = summarize_with_qtypes(scored, ["symptoms", "treatment", "symptoms"], resamples=50)
    assert summary["n"] == 3
    by_qtype = summary["by_qtype"]
    assert isinstance(by_qtype, dict)
    assert by_qtype["symptoms"]["n"] == 2
    assert by_qtype["symptoms"]["exact_match"]["value"] == 100.0
    assert by_qtype["treatment"]["exact_match"] == {"value": 0.0, "ci": [0.0, 0.0]}


def test_paired_comparison_identical_and_clearly_better() -> None:
    refs = [f"the patient should drink water and rest {i}" for i in range(30)]
    weak = score_examples(["unrelated words here"] * 30, refs)
    strong = score_examples(refs, refs)
    same = paired_comparison(weak, weak, resamples=200)
    assert same["f1"]["absolute_change"] == 0.0
    assert same["f1"]["p_value"] == 1.0
    assert same["f1"]["ci"] == [0.0, 0.0]
    better = paired_comparison(weak, strong, resamples=200)
    assert better["f1"]["absolute_change"] == pytest.approx(100.0)
    assert better["f1"]["relative_change"] is None  # base is 0: a relative change is undefined
    assert better["f1"]["p_value"] < 0.01
    low, high = better["bleu"]["ci"]
    assert low > 0 and high > 0


def test_paired_comparison_gives_no_significance_for_a_single_example() -> None:
    base = score_examples(["the cat sat"], ["a dog ran"])
    candidate = score_examples(["the cat sat"], ["the cat sat"])
    result = paired_comparison(base, candidate, resamples=200)
    assert result["f1"]["absolute_change"] == pytest.approx(100.0)
    assert result["f1"]["p_value"] is None
    assert result["f1"]["ci"] == [None, None]
