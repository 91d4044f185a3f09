"""Retrieval (issue 18): index build and retrieve on the real MedQuAD, the split guard, the baseline and the
leak refusal. RAG prompts in training and generation: test_retrieval_prompts.py."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TRAINER_DIR

from medqa_trainer.cli import main
from medqa_trainer.retrieval.corpus import (
    apply_splits,
    data_hash,
    normalized_question,
    read_data,
    read_split_file,
)
from medqa_trainer.retrieval.index import Query, RetrievalIndex, duplicate_key, leaked_pairs

# The RAG example's frozen split: the extension's seed-42 split of all of MedQuAD, with the shipped example's
# 200-pair test slice and its duplicate groups in `test` (examples/medquad-smollm2-rag/freeze_split.py).
FROZEN_SPLIT = TRAINER_DIR.parent / "examples" / "medquad-smollm2-rag" / "split.json"


@pytest.fixture(scope="module")
def train_index(medquad_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("index") / "train"
    args = ["index", "build", "--data", str(medquad_dir), "--out", str(out)]
    assert main([*args, "--split-file", str(FROZEN_SPLIT), "--splits", "train"]) == 0
    return out


@pytest.fixture(scope="module")
def loaded(train_index: Path) -> tuple[RetrievalIndex, dict[str, Any]]:
    return RetrievalIndex.load(train_index)


def test_index_records_its_data_hash_settings_and_sources(
    medquad_dir: Path, train_index: Path, loaded: tuple[RetrievalIndex, dict[str, Any]]
) -> None:
    index, manifest = loaded
    assignments, split_hash = read_split_file(FROZEN_SPLIT)
    kept = apply_splits(read_data(medquad_dir), assignments, ["train"])
    assert manifest["format"] == "medqa-retrieval-index" and manifest["version"] == 1
    assert manifest["pairs"] == len(kept) == len(index.passages) == 13120
    assert manifest["data_hash"] == data_hash(kept)
    assert manifest["library"]["name"] == "bm25s"
    assert manifest["settings"]["question_weight"] > manifest["settings"]["answer_weight"]
    assert manifest["source"]["splits"] == ["train"] and manifest["source"]["split_hash"] == split_hash
    assert not Path(manifest["source"]["data"]).is_absolute()  # a moved workspace keeps its index
    assert (train_index / Path(manifest["source"]["data"])).resolve() == medquad_dir.resolve()
    assert {p.split for p in index.passages} == {"train"}


def test_retrieve_json_for_one_question(train_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "What are the symptoms of glaucoma?"
    assert main(["retrieve", "--index", str(train_index), "--query", query, "--k", "5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["id"] is None and result["query"] == query
    hits = result["hits"]
    assert [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
    assert hits[0]["qtype"] == "symptoms" and "glaucoma" in hits[0]["question"].lower()
    assert hits[0]["url"].startswith("http") and hits[0]["text"]
    assert len(hits[0]["id"].split("/")) == 3  # <collection>/<doc>/<pid>
    assert all(a["score"] >= b["score"] for a, b in itertools.pairwise(hits))


def test_retrieve_queries_from_chat_and_question_lines(
    train_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries.jsonl"
    chat = {"id": "q-chat", "messages": [{"role": "user", "content": "Is cystic fibrosis inherited?"}]}
    plain = {"id": "q-plain", "question": "How many people are affected by Opitz G/BBB syndrome?"}
    queries.write_text(json.dumps(chat) + "\n" + json.dumps(plain) + "\n", encoding="utf-8")
    assert (
        main(["retrieve", "--index", str(train_index), "--queries", str(queries), "--k", "3", "--json"]) == 0
    )
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in results] == ["q-chat", "q-plain"]
    assert results[0]["hits"][0]["qtype"] == "inheritance"
    assert "opitz" in results[1]["hits"][0]["question"].lower()


def test_a_train_index_never_returns_a_test_or_validation_pair_or_a_duplicate_of_one(
    medquad_dir: Path, loaded: tuple[RetrievalIndex, dict[str, Any]]
) -> None:
    index, _ = loaded
    assignments, _ = read_split_file(FROZEN_SPLIT)
    held_out = [p for p in apply_splits(read_data(medquad_dir), assignments, ["validation", "test"])]
    assert len(held_out) == 1436 + 1867
    # Every held-out pair against the whole index: no id, no same question, no same qtype about the same subject.
    assert leaked_pairs(index, held_out) == []
    # And what a search returns, for a spread of held-out questions with their MedQuAD annotations.
    for passage in held_out[::11]:
        query = Query(passage.question, passage.id, passage.qtype, passage.focus, passage.cuis)
        for hit in index.search(query, 10):
            assert hit.passage.split == "train"
            assert normalized_question(hit.passage.question) != normalized_question(passage.question)
            assert duplicate_key(hit.passage) != duplicate_key(passage)


def test_evaluate_and_baseline_refuse_an_index_that_holds_a_test_pair(
    medquad_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.jsonl"
    rows = [p for p in read_data(medquad_dir) if p.collection == "9_CDC_QA"][:40]
    export.write_text(
        "".join(
            json.dumps(
                {
                    "id": p.id,
                    "qtype": p.qtype,
                    "messages": [
                        {"role": "user", "content": p.question},
                        {"role": "assistant", "content": p.answer},
                    ],
                }
            )
            + "\n"
            for p in rows
        ),
        encoding="utf-8",
    )
    everything = tmp_path / "index-all"
    assert main(["index", "build", "--data", str(export), "--out", str(everything)]) == 0
    capsys.readouterr()
    code = main(
        ["evaluate", "--model", "unused", "--data", str(export), "--out", str(tmp_path / "e"),
         "--retrieval-index", str(everything)]
    )  # fmt: skip
    assert code == 2
    message = capsys.readouterr().err
    assert "holds 40 of the 40 evaluated pairs" in message and "never be retrieved for itself" in message
    assert (
        main(["baseline", "--index", str(everything), "--data", str(export), "--out", str(tmp_path / "b")])
        == 2
    )
    assert "never be retrieved for itself" in capsys.readouterr().err


def test_the_baseline_answers_with_the_top_hit(
    loaded: tuple[RetrievalIndex, dict[str, Any]], train_index: Path, medquad_dir: Path, tmp_path: Path
) -> None:
    index, _ = loaded
    assignments, _ = read_split_file(FROZEN_SPLIT)
    tests = apply_splits(read_data(medquad_dir), assignments, ["test"])[:12]
    data = tmp_path / "test.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "id": p.id,
                    "qtype": p.qtype,
                    "focus": p.focus,
                    "cuis": list(p.cuis),
                    "messages": [
                        {"role": "user", "content": p.question},
                        {"role": "assistant", "content": p.answer},
                    ],
                }
            )
            + "\n"
            for p in tests
        ),
        encoding="utf-8",
    )
    out = tmp_path / "baseline"
    assert main(["baseline", "--index", str(train_index), "--data", str(data), "--out", str(out)]) == 0
    predictions = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["source"] == "retrieval-baseline" and metrics["n"] == 12
    assert (
        metrics["retrieval"]["index_data_hash"]
        == json.loads((train_index / "manifest.json").read_text())["data_hash"]
    )
    for row, passage in zip(predictions, tests, strict=True):
        top = index.search(
            Query(passage.question, passage.id, passage.qtype, passage.focus, passage.cuis), 1
        )[0]
        assert row["prediction"] == top.passage.answer
        assert row["retrieved"][0]["id"] == top.passage.id and row["retrieved"][0]["n"] == 1
        assert row["decoding_hash"] == metrics["decoding"]["hash"]
    assert 0 < metrics["overall"]["f1"]["value"] <= 100


def test_closed_book_decoding_hash_is_what_it_was_before_retrieval() -> None:
    from medqa_trainer.generation import Decoding

    # The shipped example's predictions carry this hash; grades keyed by it must not go stale.
    assert Decoding(max_new_tokens=192, repetition_penalty=1.15).hash() == "8842eaebd3b98b7f"
    assert Decoding(retrieval='{"k":3}').hash() != Decoding().hash()


def test_bad_inputs_get_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retrieve", "--index", str(tmp_path), "--query", "x", "--k", "3"]) == 2
    assert "not a retrieval index (no manifest.json)" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a/b/1", "messages": [{"role": "user", "content": "q"}]}\nnot json\n', encoding="utf-8"
    )
    assert main(["index", "build", "--data", str(bad), "--out", str(tmp_path / "i")]) == 2
    assert f"{bad}:2: not valid JSON" in capsys.readouterr().err
    assert main(["index", "build", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "i")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
