"""Measures of grounding (issue 18): hand-made answers, real MedQuAD answers and properties.

Each hand-made case states what a reader would say about the answer; the measures must agree.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medqa_trainer.metrics.grounding import Sources, cited_numbers, ground, unsupported_claims
from medqa_trainer.metrics.grounding_stats import grounding_arrays, paired_grounding, summarize_grounding

PASSAGES = [
    {"n": 1, "question": "What is Opitz G/BBB syndrome?", "text": "Opitz G/BBB syndrome is a genetic condition "
     "that causes several abnormalities along the midline of the body."},
    {"n": 2, "question": "How many people are affected by Opitz G/BBB syndrome?",
     "text": "X-linked Opitz G/BBB syndrome affects an estimated 1 in 50,000 to 100,000 males."},
    {"n": 3, "question": "What causes Opitz G/BBB syndrome?",
     "text": "Mutations in the MID1 gene cause the X-linked form of Opitz G/BBB syndrome."},
]  # fmt: skip
QUESTION = "What is (are) Opitz G/BBB syndrome ?"


def test_a_fully_supported_answer_with_valid_citations() -> None:
    answer = (
        "Opitz G/BBB syndrome is a genetic condition that causes abnormalities along the midline of the body [1]. "
        "The X-linked form affects 1 in 50,000 to 100,000 males [2] and is caused by mutations in the MID1 "
        "gene [3]."
    )
    g = ground(answer, QUESTION, PASSAGES)
    assert g.cited == [1, 2, 3] and g.citation_valid == 1.0
    assert g.support == 1.0 and g.supported_words == g.content_words > 10
    assert g.unsupported == [] and g.fabrication == 0.0
    assert g.sources == "question+passages"


def test_an_invalid_citation_with_three_passages() -> None:
    g = ground("The syndrome is genetic [1]. It is very common [7].", QUESTION, PASSAGES)
    assert g.cited == [1, 7]
    assert g.citation_valid == 0.5  # [7] names no passage: there are three
    assert ground("It is genetic [4-5].", QUESTION, PASSAGES).citation_valid == 0.0
    assert ground("It is genetic [1, 3].", QUESTION, PASSAGES).citation_valid == 1.0
    # Nothing cited: nothing to validate (not 0, not 1).
    assert ground("It is genetic.", QUESTION, PASSAGES).citation_valid is None
    # Closed-book rows have no passages, so no citation validity either.
    assert ground("It is genetic [1].", QUESTION, None).citation_valid is None


def test_citation_forms() -> None:
    assert cited_numbers("see [2], [1, 3] and [4-6] or [2\u20133]; not (1) or [a]") == [2, 1, 3, 4, 5, 6]
    assert cited_numbers("[1-100000]") == [1, 100000]  # a huge range is not expanded
    assert cited_numbers("[" + "9" * 5000 + "]") == []  # not a citation; must not crash int()


@pytest.mark.parametrize(
    "case",
    json.loads((Path(__file__).resolve().parents[2] / "test/fixtures/retrieval/citations.json").read_text())[
        "cases"
    ],
    ids=lambda c: str(c["text"]),
)
def test_citations_read_as_evaluate_and_the_extension_read_them(case: dict[str, Any]) -> None:
    assert cited_numbers(str(case["text"])) == case["cited"]


def test_a_number_not_in_the_sources_is_a_claim() -> None:
    # The fine-tuned SmolLM2's answer in the shipped example: the reference says nothing of the kind.
    g = ground("This condition affects about 1 in 250,000 newborns.", QUESTION, PASSAGES)
    assert g.unsupported == ["1 in 250,000"] and g.unsupported_count == 1
    assert g.fabrication == pytest.approx(100 / 8)  # 1 claim in 8 words
    # The same ratio in a passage is supported, with or without the thousands separator.
    assert ground("It affects 1 in 50000 males [2].", QUESTION, PASSAGES).unsupported == []
    # Percentages and years are numbers too; a list marker is not.
    claims = unsupported_claims("1. It was described in 1982.\n2. About 3% of cases.", Sources.of([QUESTION]))
    assert claims == ["1982", "3"]


def test_a_fabricated_disease_name_closed_book() -> None:
    # The base SmolLM2 on "What are the symptoms of Reticuloendotheliosis ?" (shipped example, base side).
    question = "What are the symptoms of Reticuloendotheliosis ?"
    answer = (
        "Rexlone endotheliotic disease is characterized by inflammation and scarring in the retina. "
        "It may also cause tractional keratomalacia (TCE) and choroidal sclerosis."
    )
    g = ground(answer, question, None)
    assert g.sources == "question"
    # "keratomalacia" has no listed disease ending; its abbreviation is still caught.
    assert g.unsupported == ["Rexlone endotheliotic disease", "(TCE)", "sclerosis"]
    assert g.citation_valid is None and g.cited == []
    assert g.support is not None and g.support < 0.2  # nothing but the question backs it


def test_the_fine_tuned_invention_is_one_claim_with_its_abbreviation() -> None:
    question = "What are the symptoms of Reticuloendotheliosis ?"
    answer = "The signs of reticuloendothelial fibrosis (RIF) include fatigue. RIF is rare."
    assert ground(answer, question, None).unsupported == ["fibrosis (RIF)"]


def test_capitalised_terms_count_only_away_from_a_sentence_start() -> None:
    sources = Sources.of(["What is anemia?"])
    assert unsupported_claims("Anemia is common. Iron helps.\n- Diet matters", sources) == []
    assert unsupported_claims("Anemia is treated by Dr Smith at Mayo.", sources) == ["Dr Smith", "Mayo"]
    # Named "... syndrome/disease/disorder" phrases; lower-case descriptions are not names.
    assert unsupported_claims("It is unlike other genetic disorders.", sources) == []
    assert unsupported_claims("It is unlike the rare Kubecoff syndrome.", sources) == ["Kubecoff syndrome"]
    # Found when the words are in the sources, whatever their case or inflection.
    found = Sources.of(["Huntington disease causes anemias"])
    assert unsupported_claims("Like Huntington disease, it causes Anemia.", found) == []


def test_ordinary_words_with_disease_endings_are_not_claims() -> None:
    assert unsupported_claims("The diagnosis and prognosis need empathy.", Sources.of(["x"])) == []
    assert unsupported_claims("It causes hepatitis.", Sources.of(["x"])) == ["hepatitis"]


def test_empty_and_wordless_answers() -> None:
    g = ground("", QUESTION, PASSAGES)
    assert g.support is None and g.fabrication == 0.0 and g.words == 0 and g.citation_valid is None
    g = ground("[1] ...", QUESTION, PASSAGES)
    assert g.support is None and g.citation_valid == 1.0


def test_aggregation_skips_undefined_answers_and_weights_fabrication_by_words() -> None:
    items = [
        ground("Opitz G/BBB syndrome is genetic [1].", QUESTION, PASSAGES),  # supported, valid citation
        ground("It affects 1 in 250,000 newborns [9].", QUESTION, PASSAGES),  # a claim, invalid citation
        ground("", QUESTION, PASSAGES),  # no content, no citation
    ]
    arrays = grounding_arrays(items, [True, True, True])
    summary = summarize_grounding(arrays, resamples=200)
    assert summary["n"] == 3
    assert summary["citation_valid"]["value"] == pytest.approx(0.5) and summary["citation_valid"]["n"] == 2
    assert summary["citing"]["value"] == pytest.approx(2 / 3)
    assert summary["support"]["n"] == 2
    assert items[1].support is not None
    assert summary["support"]["value"] == pytest.approx((1.0 + items[1].support) / 2)
    words = sum(g.words for g in items)
    assert summary["fabrication"]["value"] == pytest.approx(100 * 1 / words)
    assert summary["fabrication_count"]["value"] == pytest.approx(1 / 3)
    for name in ("support", "fabrication", "citation_valid"):
        low, high = summary[name]["ci"]
        assert low <= summary[name]["value"] <= high
    # Closed-book answers have no citation measures at all.
    closed = grounding_arrays([ground("It is genetic.", QUESTION, None)], [False])
    assert set(summarize_grounding(closed, resamples=50)) == {
        "n",
        "support",
        "fabrication",
        "fabrication_count",
    }


def test_paired_grounding_sees_fewer_fabrications() -> None:
    invented = "It is Kubecoff syndrome, found in 1 in 250,000 people since 1982 (KBS)."
    grounded = "Opitz G/BBB syndrome is a genetic condition [1]."
    base = grounding_arrays([ground(invented, QUESTION, None)] * 30, [False] * 30)
    cand = grounding_arrays([ground(grounded, QUESTION, PASSAGES)] * 30, [True] * 30)
    paired = paired_grounding(base, cand, resamples=200)
    assert set(paired) == {"support", "fabrication", "fabrication_count"}  # citations: only one side has them
    fabrication_change = paired["fabrication"]["absolute_change"]
    support_change = paired["support"]["absolute_change"]
    assert isinstance(fabrication_change, float) and fabrication_change < 0
    assert isinstance(support_change, float) and support_change > 0


# ---------------------------------------------------------------------------------------------------------------
# Real MedQuAD answers


@pytest.fixture(scope="module")
def medquad_pairs(medquad_dir: Path) -> list[tuple[str, str]]:
    from medqa_trainer.retrieval.corpus import read_medquad

    pairs = [(p.question, p.answer) for p in read_medquad(medquad_dir) if p.answer.strip()]
    return random.Random(5).sample(pairs, 300)


@pytest.mark.shared
def test_a_medquad_answer_given_as_its_own_passage_is_fully_grounded(
    medquad_pairs: list[tuple[str, str]],
) -> None:
    for question, answer in medquad_pairs:
        g = ground(answer, question, [{"n": 1, "text": answer}])
        assert g.support in (None, 1.0), (question, answer[:200])
        assert g.unsupported == [], (question, g.unsupported)


@pytest.mark.shared
def test_medquad_answers_against_their_question_alone(medquad_pairs: list[tuple[str, str]]) -> None:
    """The limit of the closed-book reading: a true NIH answer also says more than its question."""
    items = [ground(answer, question, None) for question, answer in medquad_pairs]
    support = np.array([g.support for g in items if g.support is not None])
    assert 0.05 < support.mean() < 0.5
    with_claims = sum(g.unsupported_count > 0 for g in items)
    assert with_claims > len(items) // 3
    # An invented sentence appended to a real answer adds its invented names.
    question, answer = medquad_pairs[0]
    g = ground(
        answer + " It was first described by Dr Kubecoff in 1911 (KBF).", question, [{"n": 1, "text": answer}]
    )
    assert g.unsupported == ["Dr Kubecoff", "1911 (KBF)"]


# ---------------------------------------------------------------------------------------------------------------
# Properties

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
_token = st.one_of(
    _word,
    _word.map(str.capitalize),
    _word.map(str.upper),
    st.integers(0, 10**7).map(lambda n: f"{n:,}"),
    st.integers(0, 999).map(lambda n: f"{n}%"),
    _word.map(lambda w: f"({w.upper()})"),
    st.tuples(st.integers(1, 9), st.integers(10, 10**6)).map(lambda t: f"{t[0]} in {t[1]:,}"),
    st.sampled_from(["fibrosis", "Kubecoff syndrome", "carcinoma", "disease", "-", "and", "The"]),
)
_sentence = st.lists(_token, min_size=1, max_size=12).map(lambda ts: " ".join(ts) + ".")
_passage = st.lists(_sentence, min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(passages=st.lists(_passage, min_size=1, max_size=3), data=st.data())
def test_an_answer_made_of_passage_sentences_is_supported_and_invents_nothing(
    passages: list[list[str]], data: st.DataObject
) -> None:
    sentences = [s for p in passages for s in p]
    chosen = data.draw(st.lists(st.sampled_from(sentences), min_size=1, max_size=6))
    given_passages = [{"n": i + 1, "text": " ".join(p)} for i, p in enumerate(passages)]
    g = ground(" ".join(chosen), None, given_passages)
    assert g.support in (None, 1.0)
    assert g.unsupported == [] and g.fabrication == 0.0


@settings(max_examples=300, deadline=None)
@given(answer=st.text(max_size=400), question=st.text(max_size=100), passage=st.text(max_size=400))
def test_any_text_gives_measures_in_range(answer: str, question: str, passage: str) -> None:
    g = ground(answer, question, [{"n": 1, "text": passage}])
    assert g.support is None or 0.0 <= g.support <= 1.0
    assert g.citation_valid is None or 0.0 <= g.citation_valid <= 1.0
    assert g.fabrication >= 0.0 and g.unsupported_count >= len(g.unsupported)
    # Adding the answer itself as a source leaves nothing unsupported.
    assert ground(answer, question, [{"n": 1, "text": answer}]).unsupported == []


def test_a_huge_answer_is_read_in_part_and_says_so() -> None:
    answer = "Kubecoff syndrome affects 1 in 250,000 newborns (KBS). " * 20_000  # 1.1 million characters
    g = ground(answer, QUESTION, PASSAGES)
    assert g.cut and g.unsupported == ["Kubecoff syndrome", "1 in 250,000", "(KBS)"]
    assert not ground("Short.", QUESTION, PASSAGES).cut
