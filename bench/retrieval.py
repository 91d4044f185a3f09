"""Retrieval benchmark (issue 18), on the real MedQuAD from ../shared and the RAG example's frozen split.

1. Build time of an index over all 16,423 answered pairs (target < 10 s), against the time to read them, measured
   in the same run (the ratio says how much of the build is indexing rather than XML parsing).
2. Query latency in the process that serves it (as `retrieve --serve` does): p50/p95 over 1,000 MedQuAD questions
   (target p95 < 20 ms).
3. Quality on MedQuAD's own labels: for test questions whose focus CUI and question type also appear in another
   document of the training split, Recall@1 and @5 of such a pair, for plain BM25 over question + answer text
   (bm25s, one field: what the issue's baseline did) and for our ranking (fields + structure), with and without
   the query's MedQuAD annotations (focus, CUIs, qtype). Target Recall@5 >= 0.9 for our ranking. Also reported on
   the targets that share a *specific* CUI (one naming at most 5 foci): "Syndrome" (C0039082) is tagged on hundreds
   of foci, and sharing it does not make Down syndrome evidence for Mycosis Fungoides.

    .venv/bin/python bench/retrieval.py [--queries 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))

from medqa_trainer.retrieval.corpus import (
    Passage,
    apply_splits,
    read_data,
    read_split_file,
)
from medqa_trainer.retrieval.index import Query, RetrievalIndex

SHARED = Path(__import__("os").environ.get("MEDQA_SHARED", REPO.parent / "shared"))
FROZEN_SPLIT = REPO / "examples" / "medquad-smollm2-rag" / "split.json"


def plain_bm25(train: list[Passage]):  # type: ignore[no-untyped-def]
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    model = bm25s.BM25()
    model.index(
        bm25s.tokenize(
            [f"{p.question} {p.answer}" for p in train],
            stemmer=stemmer,
            show_progress=False,
        ),
        show_progress=False,
    )

    def search(text: str, k: int) -> list[int]:
        tokens = bm25s.tokenize([text], stemmer=stemmer, show_progress=False)
        ids, _ = model.retrieve(tokens, k=k, show_progress=False)
        return [int(i) for i in ids[0]]

    return search


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    medquad = SHARED / "data" / "MedQuAD"
    if not medquad.is_dir():
        print(f"MedQuAD not found at {medquad} (set MEDQA_SHARED)", file=sys.stderr)
        return 2

    cpu_started = time.process_time()
    started = time.perf_counter()
    passages = read_data(medquad)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    index = RetrievalIndex.build(passages)
    with tempfile.TemporaryDirectory() as folder:
        index.save(Path(folder) / "index", {"data_hash": "bench"})
    build_s = time.perf_counter() - started
    total_s = read_s + build_s
    cpu_s = (
        time.process_time() - cpu_started
    )  # the machine is shared: CPU time shows what waiting added

    questions = [p for p in passages[:: max(1, len(passages) // args.queries)]][
        : args.queries
    ]
    latencies = []
    for p in questions:
        t = time.perf_counter()
        index.search(Query(p.question), 5)
        latencies.append((time.perf_counter() - t) * 1000)
    p50, p95 = (float(np.percentile(latencies, q)) for q in (50, 95))

    assignments, _ = read_split_file(FROZEN_SPLIT)
    train = apply_splits(passages, assignments, ["train"])
    test = apply_splits(passages, assignments, ["test"])
    train_index = RetrievalIndex.build(train)
    document = {p.id: p.id.rsplit("/", 1)[0] for p in train}
    by_cui_qtype: dict[tuple[str, str], set[str]] = {}
    for p in train:
        for cui in p.cuis:
            by_cui_qtype.setdefault((cui, p.qtype), set()).add(p.id)
    targets = []
    for p in test:
        wanted = {i for cui in p.cuis for i in by_cui_qtype.get((cui, p.qtype), ())}
        wanted = {i for i in wanted if document[i] != p.id.rsplit("/", 1)[0]}
        if wanted:
            targets.append((p, wanted))
    plain = plain_bm25(train)

    foci: dict[str, set[str]] = {}
    for p in train:
        for cui in p.cuis:
            foci.setdefault(cui, set()).add((p.focus or "").lower())
    cuis_of = {p.id: set(p.cuis) for p in train}
    specific = [
        (
            p,
            {
                i
                for i in wanted
                if any(len(foci[c]) <= 5 for c in cuis_of[i] & set(p.cuis))
            },
        )
        for p, wanted in targets
    ]
    specific = [(p, wanted) for p, wanted in specific if wanted]

    def recall(
        rank: object, targets: list[tuple[Passage, set[str]]] = targets
    ) -> dict[str, float]:
        hits1 = hits5 = 0
        for p, wanted in targets:
            top = rank(p)  # type: ignore[operator]
            hits1 += top[0] in wanted if top else 0
            hits5 += bool(set(top[:5]) & wanted)
        return {
            "recall_at_1": round(hits1 / len(targets), 3),
            "recall_at_5": round(hits5 / len(targets), 3),
        }

    quality = {
        "bm25_question_answer": recall(
            lambda p: [train[i].id for i in plain(p.question, 5)]
        ),
        "ours_text_only": recall(
            lambda p: [h.passage.id for h in train_index.search(Query(p.question), 5)]
        ),
        "ours_with_annotations": recall(
            lambda p: [
                h.passage.id
                for h in train_index.search(
                    Query(p.question, p.id, p.qtype, p.focus, p.cuis), 5
                )
            ]
        ),
    }
    annotated = quality["ours_with_annotations"]
    quality["ours_with_annotations_specific_cuis"] = recall(
        lambda p: [
            h.passage.id
            for h in train_index.search(
                Query(p.question, p.id, p.qtype, p.focus, p.cuis), 5
            )
        ],
        specific,
    )
    quality["bm25_question_answer_specific_cuis"] = recall(
        lambda p: [train[i].id for i in plain(p.question, 5)], specific
    )
    result = {
        "pairs": len(passages),
        "build": {"read_s": round(read_s, 2), "index_s": round(build_s, 2), "total_s": round(total_s, 2), "cpu_s": round(cpu_s, 2),
                  "target_s": 10, "index_share": round(build_s / total_s, 2)},
        "query_ms": {"p50": round(p50, 2), "p95": round(p95, 2), "target_p95": 20, "queries": len(latencies)},
        "quality": {"test_questions_with_targets": len(targets), "with_specific_cui_targets": len(specific), **quality, "target_recall_at_5": 0.9},
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    ok = total_s < 10 and p95 < 20 and annotated["recall_at_5"] >= 0.9
    print(("targets met" if ok else "a target is missed"), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
