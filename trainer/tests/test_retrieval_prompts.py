"""Retrieval-augmented prompts (issue 18): training and generation render the same ids, training leaves out the
pair's own duplicate group, passages are cut to the budget and the cut is counted, citations are read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.cli import main
from medqa_trainer.metrics.grounding import cited_numbers
from medqa_trainer.retrieval.augment import augment, load_setup, token_counter
from medqa_trainer.retrieval.corpus import Passage, normalized_question, read_data
from medqa_trainer.retrieval.index import duplicate_key
from medqa_trainer.retrieval.rag import INSTRUCTIONS, Source, fit_sources, render_user_content


def _chat(p: Passage) -> dict[str, Any]:
    return {
        "id": p.id, "qtype": p.qtype, "focus": p.focus, "cuis": list(p.cuis), "url": p.url, "source": p.source,
        "messages": [{"role": "user", "content": p.question}, {"role": "assistant", "content": p.answer}],
    }  # fmt: skip


def _write(path: Path, passages: list[Passage]) -> Path:
    path.write_text("".join(json.dumps(_chat(p)) + "\n" for p in passages), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_export(medquad_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GHR and GARD pairs about the same conditions: each test focus also has training pairs of other qtypes."""
    every = read_data(medquad_dir)
    ghr = [p for p in every if p.collection == "3_GHR_QA"][:300]
    focuses = {p.focus for p in ghr[:60]}
    folder = tmp_path_factory.mktemp("export")
    validation = [p for p in ghr[:60] if p.qtype == "inheritance"]
    train = [p for p in ghr if p not in validation] + [
        p for p in every if p.collection == "2_GARD_QA" and p.focus in focuses and p.qtype != "inheritance"
    ]
    _write(folder / "train.jsonl", train)
    _write(folder / "validation.jsonl", validation)
    return folder


@pytest.fixture(scope="module")
def train_index(small_export: Path) -> Path:
    out = small_export.parent / "index"
    assert main(["index", "build", "--data", str(small_export / "train.jsonl"), "--out", str(out)]) == 0
    return out


def test_training_and_generation_render_the_same_prompt_ids(
    small_export: Path, train_index: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoTokenizer

    from medqa_trainer.config import TrainConfig
    from medqa_trainer.evaluate import load_examples
    from medqa_trainer.generation import Decoding, render_prompt
    from medqa_trainer.prepare import prepare_data

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    config = TrainConfig(
        model_name_or_path=str(tiny_model_dir),
        train_file=str(small_export / "train.jsonl"),
        validation_file=str(small_export / "validation.jsonl"),
        output_dir=str(tmp_path / "run"),
        max_length=1024,
        max_validation_examples=0,
        retrieval_index=str(train_index),
        retrieval_k=3,
        retrieval_context_tokens=384,
    )
    prepared = prepare_data(config, tokenizer)
    assert prepared.validation is not None
    notices = dict(prepared.notices)
    assert "sources added to" in notices["retrieval-train"] and "cut to fit 384" in notices["retrieval-train"]

    # Generation: evaluate's path on the same pairs, with the same index, k and budget (max_length // 2 = 512 > 384).
    setup = load_setup(train_index, 3, 384)
    examples = load_examples(small_export / "validation.jsonl")
    records = [{**ex.record, "messages": ex.prompt_messages} for ex in examples]
    augmented, stats = augment(records, setup, token_counter(tokenizer), exclude_own_group=False)
    assert stats.passages == 3 * len(examples)
    for encoded, record in zip(prepared.validation, augmented, strict=True):
        prompt = render_prompt(tokenizer, record["messages"], Decoding())
        first_label = next(i for i, label in enumerate(encoded.labels) if label != -100)
        assert encoded.input_ids[:first_label] == prompt
        assert tokenizer.decode(prompt).count("[1] ") == 1 and INSTRUCTIONS in tokenizer.decode(prompt)


def test_training_prompts_leave_out_the_pair_and_its_duplicate_group(
    small_export: Path, train_index: Path
) -> None:
    from conftest import TOKENIZER_DIR
    from transformers import AutoTokenizer

    setup = load_setup(train_index, 5, 4096)
    records = [json.loads(line) for line in (small_export / "train.jsonl").read_text().splitlines()][:80]
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_DIR)
    _, stats = augment(records, setup, token_counter(tokenizer), exclude_own_group=True)
    by_id = {p.id: p for p in setup.index.passages}
    for record, sources in zip(records, stats.sources, strict=True):
        own = by_id[record["id"]]
        assert sources, record["id"]
        for source in sources:
            other = by_id[source.id]
            assert other.id != own.id
            assert normalized_question(other.question) != normalized_question(own.question)
            assert duplicate_key(other) != duplicate_key(own)
    # Without the filter the pair itself is the best hit: that is what the filter is for.
    _, unfiltered = augment(records[:10], setup, token_counter(tokenizer), exclude_own_group=False)
    assert sum(s[0].id == r["id"] for s, r in zip(unfiltered.sources, records[:10], strict=True)) >= 8


def test_passages_are_cut_to_the_budget_and_the_cut_is_counted(tokenizer_dir: Path) -> None:
    from transformers import AutoTokenizer

    count = token_counter(AutoTokenizer.from_pretrained(tokenizer_dir))
    long_text = " ".join(f"word{i} of a long answer about glaucoma." for i in range(400))
    sources = [
        Source(
            n=1,
            id="a/1/1",
            question="What is glaucoma ?",
            text=long_text,
            url="https://x",
            source="NEI",
            score=1.0,
        ),
        Source(n=2, id="a/1/2", question="Short?", text="A short answer.", url=None, source="", score=0.5),
        Source(n=3, id="a/1/3", question="Other?", text=long_text, url=None, source="", score=0.4),
    ]
    for budget in (200, 400, 800):
        fitted = fit_sources("What is glaucoma?", sources, count, budget)
        assert count(render_user_content("What is glaucoma?", fitted)) <= budget
        assert [s.cut for s in fitted] == [True, False, True]
        assert fitted[0].text.endswith(" …") and long_text.startswith(fitted[0].text[:-2])
    roomy = fit_sources("What is glaucoma?", sources[1:2], count, 800)
    assert roomy == sources[1:2]


@pytest.mark.parametrize(
    ("answer", "numbers"),
    [
        ("Glaucoma damages the optic nerve [1].", [1]),
        ("See [1, 3] and [2].", [1, 3, 2]),
        ("As [2-4] say, and [3] again.", [2, 3, 4]),
        ("An invented source [7].", [7]),
        ("No citation, a list [a] and a year (2019).", []),
    ],
)
def test_cited_numbers(answer: str, numbers: list[int]) -> None:
    assert cited_numbers(answer) == numbers


def test_serve_cuts_the_sources_as_evaluate_does(
    small_export: Path, train_index: Path, tokenizer_dir: Path
) -> None:
    """The Playground's prompt (retrieve --serve, rag + the model's tokenizer) is evaluate's prompt."""
    import io

    from transformers import AutoTokenizer

    from medqa_trainer.retrieval.index import RetrievalIndex
    from medqa_trainer.retrieval.retrieve_cli import serve

    index, manifest = RetrievalIndex.load(train_index)
    record = json.loads((small_export / "validation.jsonl").read_text().splitlines()[0])
    question = record["messages"][0]["content"]
    requests = [
        {
            "id": 1,
            "query": question,
            "k": 3,
            "rag": True,
            "tokenizer": str(tokenizer_dir),
            "context_tokens": 200,
        },
        {"id": 2, "query": question, "k": 3, "rag": True, "tokenizer": "/nowhere"},
    ]
    out = io.StringIO()
    serve(index, manifest, io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), out)
    ready, cut, bad = (json.loads(line) for line in out.getvalue().splitlines())
    assert ready["ready"] is True and "tokenizer must name a folder" in bad["error"]
    setup = load_setup(train_index, 3, 200)
    count = token_counter(AutoTokenizer.from_pretrained(tokenizer_dir))
    bare = {"id": record["id"], "messages": [{"role": "user", "content": question}]}
    augmented, stats = augment([bare], setup, count, exclude_own_group=False)
    assert cut["user_content"] == augmented[0]["messages"][0]["content"]
    assert [s["cut"] for s in cut["sources"]] == [s.cut for s in stats.sources[0]] and any(
        s.cut for s in stats.sources[0]
    )
    assert count(cut["user_content"]) <= 200
