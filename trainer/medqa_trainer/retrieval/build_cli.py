"""`index build`: a retrieval index over answered QA pairs (docs/protocol.md, "Retrieval index")."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from medqa_trainer.events import utc_now_iso
from medqa_trainer.retrieval.corpus import (
    SPLIT_NAMES,
    CorpusError,
    apply_splits,
    data_hash,
    read_data,
    read_split_file,
)
from medqa_trainer.retrieval.index import RetrievalIndex


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="index_command", required=True)
    build = sub.add_parser("build", help="build a retrieval index over answered QA pairs")
    build.add_argument(
        "--data", required=True, type=Path, help="a MedQuAD folder, an export folder or a chat JSONL file"
    )
    build.add_argument("--out", required=True, type=Path, help="index folder (replaced atomically)")
    build.add_argument(
        "--split-file", type=Path, default=None, help="the extension's split file (split-<seed>.json)"
    )
    build.add_argument(
        "--splits",
        default=None,
        help="comma-separated splits to keep (e.g. train); pairs of other splits are never indexed",
    )


def _relative(path: Path, folder: Path) -> str:
    """Paths in the manifest are relative to the index folder, so a moved workspace keeps its index."""
    return os.path.relpath(path.resolve(), folder.resolve())


def run(args: argparse.Namespace) -> int:
    splits = [s.strip() for s in args.splits.split(",")] if args.splits else None
    if splits is not None and any(s not in SPLIT_NAMES for s in splits):
        print(
            f"error: --splits takes {', '.join(SPLIT_NAMES)} (comma-separated), not {args.splits!r}",
            file=sys.stderr,
        )
        return 2
    out: Path = args.out
    if out.resolve() == args.data.resolve() or args.data.resolve() in out.resolve().parents:
        print(f"error: --out {out} is inside --data; the index never writes into its source", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        print("index: reading the QA pairs", file=sys.stderr, flush=True)
        passages = read_data(args.data)
        assignments, split_hash = read_split_file(args.split_file) if args.split_file else (None, None)
        if splits is not None and assignments is None and not any(p.split for p in passages):
            raise CorpusError(
                "--splits needs to know each pair's split: give --split-file, or an export folder"
            )
        kept = apply_splits(passages, assignments, splits)
        if not kept:
            raise CorpusError(f"no answered pairs in the splits {splits} of {args.data}")
        print(f"index: indexing {len(kept)} pairs", file=sys.stderr, flush=True)
        index = RetrievalIndex.build(kept)
        print("index: saving", file=sys.stderr, flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        manifest = index.save(
            out,
            {
                "created_at": utc_now_iso(),
                "data_hash": data_hash(kept),
                "source": {
                    "data": _relative(args.data, out),
                    "split_file": _relative(args.split_file, out) if args.split_file else None,
                    "splits": splits,
                    "split_hash": split_hash,
                    "read": len(passages),
                },
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    except CorpusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"indexed {manifest['pairs']} pairs into {out} in {manifest['seconds']} s "
        f"({manifest['size_bytes'] / 1e6:.1f} MB, data {manifest['data_hash'][:12]})"
    )
    return 0
