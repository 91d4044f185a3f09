"""Freeze the split of the RAG example: the extension's seed-42 split of all of MedQuAD, with the shipped example's
fixed 200-pair test slice (and every pair in the duplicate group of one of them) moved to `test`.

The dedupe changed after examples/medquad-smollm2 ran, so today's split puts many of its 200 test pairs in `train`.
Moving them, with their duplicate groups, keeps the slice fixed and out of any index built over `train`.

    python freeze_split.py --split today-split.json --slice ../medquad-smollm2/results/test.jsonl \
        --medquad ../../../shared/data/MedQuAD --out split.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from medqa_trainer.retrieval.corpus import normalized_question, read_data
from medqa_trainer.retrieval.index import duplicate_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", required=True, type=Path)
    parser.add_argument("--slice", required=True, type=Path)
    parser.add_argument("--medquad", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    split = json.loads(args.split.read_text(encoding="utf-8"))
    slice_ids = [
        json.loads(line)["id"]
        for line in args.slice.read_text(encoding="utf-8").splitlines()
        if line
    ]
    passages = {p.id: p for p in read_data(args.medquad)}
    keys = {duplicate_key(passages[i]) for i in slice_ids}
    questions = {normalized_question(passages[i].question) for i in slice_ids}
    moved = 0
    for assignment in split["assignments"]:
        passage = passages.get(assignment["id"])
        in_group = passage is not None and (
            duplicate_key(passage) in keys
            or normalized_question(passage.question) in questions
        )
        if (assignment["id"] in slice_ids or in_group) and assignment[
            "split"
        ] != "test":
            assignment["split"] = "test"
            moved += 1
    answered = [a for a in split["assignments"] if a["id"] in passages]
    for name in ("train", "validation", "test"):
        split["counts"][name] = sum(1 for a in answered if a["split"] == name)
    lines = "".join(
        f"{a['id']}\t{a['split']}\n"
        for a in sorted(split["assignments"], key=lambda a: a["id"])
    )
    split["splitHash"] = hashlib.sha256(lines.encode("utf-8")).hexdigest()
    split["frozen"] = {
        "from_split_hash": json.loads(args.split.read_text(encoding="utf-8"))[
            "splitHash"
        ],
        "slice": len(slice_ids),
        "moved_to_test": moved,
    }
    args.out.write_text(json.dumps(split, indent=2) + "\n", encoding="utf-8")
    print(f"moved {moved} pairs to test; counts {split['counts']}")


if __name__ == "__main__":
    main()
