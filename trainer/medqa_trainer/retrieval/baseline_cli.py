"""`baseline`: the retrieval baseline of an evaluation. Each test question is answered with the answer of the
best-matching pair in the index, no model involved: what a generator must beat to be worth running.

It writes the same predictions.jsonl and metrics.json as `evaluate` (metrics `source`: "retrieval-baseline"), so
`compare`, the Metrics panel and grading read it like any other side.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from medqa_trainer.events import EventWriter
from medqa_trainer.metrics import DEFAULT_RESAMPLES, DEFAULT_SEED
from medqa_trainer.metrics.grounding import cited_numbers
from medqa_trainer.retrieval.augment import check_no_leak, load_setup
from medqa_trainer.retrieval.corpus import CorpusError
from medqa_trainer.retrieval.index import query_from_record
from medqa_trainer.retrieval.rag import sources_from_hits

BASELINE_SOURCE = "retrieval-baseline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", required=True, type=Path, help="an index built over the training split")
    parser.add_argument("--data", required=True, type=Path, help="test.jsonl of a dataset export")
    parser.add_argument(
        "--out", required=True, type=Path, help="folder for predictions.jsonl and metrics.json"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="a seeded, qtype-stratified sample of K examples"
    )
    parser.add_argument("--events", type=Path, default=None, help="events file (default: OUT/events.jsonl)")
    parser.add_argument(
        "--bootstrap", type=int, default=DEFAULT_RESAMPLES, help="bootstrap resamples for CIs"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap and sampling seed")


def baseline_rows(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from medqa_trainer.evaluate import load_examples

    examples = load_examples(args.data, args.limit, args.seed)
    setup = load_setup(args.index, k=1, context_tokens=DEFAULT_CONTEXT_TOKENS_UNUSED)
    check_no_leak(setup, [ex.record for ex in examples], "evaluated")
    rows: list[dict[str, Any]] = []
    for number, example in enumerate(examples, start=1):
        query = query_from_record(example.record, f"{args.data} example {number}")
        sources = sources_from_hits(setup.index.search(query, 1))
        rows.append(
            {
                "id": example.id,
                "question": example.question,
                "qtype": example.qtype,
                "reference": example.reference,
                "prediction": sources[0].text if sources else "",
                "retrieved": [s.as_json() for s in sources],
                # What the text itself cites, as for generated answers: a returned answer cites nothing.
                "cited": cited_numbers(sources[0].text) if sources else [],
            }
        )
    decoding = {"method": "retrieval-top-1", "retrieval": setup.hash_part()}
    decoding["hash"] = hashlib.sha256(json.dumps(decoding, sort_keys=True).encode()).hexdigest()[:16]
    for row in rows:
        row["decoding_hash"] = decoding["hash"]
    return rows, {**setup.describe(args.index, args.out), "decoding": decoding}


# The baseline gives whole answers, never cut; load_setup still checks a budget, so pass the smallest it takes.
DEFAULT_CONTEXT_TOKENS_UNUSED = 64


def run(args: argparse.Namespace) -> int:
    from medqa_trainer.score import metrics_document, output_rows, score_rows, write_json

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with EventWriter(args.events or out / "events.jsonl") as events:
        started = time.monotonic()
        try:
            rows, retrieval = baseline_rows(args)
        except (CorpusError, OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            events.emit("run_failed", error=str(error).splitlines()[0], traceback_path=None)
            return 2
        decoding = retrieval.pop("decoding")
        events.emit("eval_started", model=BASELINE_SOURCE, adapter=None, total=len(rows), decoding=decoding)
        scored = score_rows(rows)
        with (out / "predictions.jsonl").open("w", encoding="utf-8") as sink:
            for record in output_rows(rows, scored):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        document = metrics_document(
            rows,
            scored,
            source=BASELINE_SOURCE,
            truncation_known=True,
            resamples=args.bootstrap,
            seed=args.seed,
            extra={
                "model": BASELINE_SOURCE,
                "adapter": None,
                "retrieval": retrieval,
                "decoding": decoding,
                "total": len(rows),
                "cancelled": False,
                "runtime": {"seconds": round(time.monotonic() - started, 3)},
            },
        )
        write_json(out / "metrics.json", document)
        events.emit(
            "eval_finished",
            n=document["n"],
            metrics_path=str(out / "metrics.json"),
            predictions_path=str(out / "predictions.jsonl"),
            cancelled=False,
        )
    print(f"retrieval baseline: {document['n']} answers; wrote {out / 'metrics.json'}")
    return 0
