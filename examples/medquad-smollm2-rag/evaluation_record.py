"""Writes the evaluation.json that Evaluate Checkpoint would have written for an evaluation folder assembled from the
example's rows (adapter/ = ft-rag, base/ = base-rag, retrieval/ = the baseline), so the demo's RAG run opens in the
Metrics panel like any other "RAG k=N" evaluation (format in docs/protocol.md, section 3).

    evaluation_record.py --evaluation DIR --run RUN --model NAME --k N --index DIR --train-data FILE
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--evaluation", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--k", type=int, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--train-data", type=Path, required=True)
    args = parser.parse_args()
    evaluation: Path = args.evaluation
    # The adapter side ran first, so its first event is when the evaluation started and its last when it ended
    # (the base side was evaluated earlier, as its own row).
    events = (evaluation / "adapter" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    started, finished = json.loads(events[0])["time"], json.loads(events[-1])["time"]
    # Paths are absolute here; the run.sh step that ships the folder makes them relative (relativize.py).
    record = {
        "format": "medqa-evaluation",
        "version": 1,
        "createdAt": started[:19] + "Z",
        "runDir": str(args.run),
        "checkpoint": str(args.run / "adapter"),
        "baseModel": args.model,
        "testFile": "test.jsonl",
        "settings": {
            "maxNewTokens": 192,
            "batchSize": 16,
            "limit": None,
            "evaluateBase": True,
            "repetitionPenalty": 1.15,
            "rag": {"k": args.k},
        },
        "retrieval": {
            "index": str(args.index),
            "trainData": str(args.train_data),
            "status": "finished",
            "error": None,
        },
        "status": "finished",
        "finishedAt": finished[:19] + "Z",
        "error": None,
    }
    (evaluation / "evaluation.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
