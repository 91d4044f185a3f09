"""`retrieve`: the top-k QA pairs of an index for one question, a file of questions, or (`--serve`) a stream of
JSON requests on stdin, which is how the extension's search and Playground keep one index loaded."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from medqa_trainer.retrieval.corpus import CorpusError
from medqa_trainer.retrieval.index import Query, RetrievalIndex, query_from_record
from medqa_trainer.retrieval.rag import (
    DEFAULT_CONTEXT_TOKENS,
    fit_sources,
    render_user_content,
    sources_from_hits,
)

MAX_K = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", required=True, type=Path, help="an index folder made by `index build`")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--query", help="one question")
    what.add_argument(
        "--queries", type=Path, help='chat JSONL (the user turn is the query) or {"id", "question"} lines'
    )
    what.add_argument("--serve", action="store_true", help="answer JSON requests on stdin, one per line")
    parser.add_argument("--k", type=int, default=5, help=f"hits per query (1-{MAX_K})")
    parser.add_argument("--json", action="store_true", help="one JSON object per query on stdout")


def read_queries(path: Path) -> Iterator[Query]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path}:{number}: not valid JSON ({error.msg})") from error
            yield query_from_record(record, f"{path}:{number}")


def _print_human(query: Query, hits: list[dict[str, Any]], out: TextIO) -> None:
    out.write(f"{query.id or '-'}: {query.text}\n")
    for hit in hits:
        out.write(f"  {hit['rank']}. {hit['score']:.3f} {hit['id']}  {hit['question']}  {hit['url'] or ''}\n")


class _Tokenizers:
    """Token counters of the tokenizers requests name (an export or model folder with tokenizer.json), loaded once.

    The `tokenizers` library reads tokenizer.json directly: the same ids as transformers' fast tokenizer without
    add_special_tokens, and no transformers import in a server that must answer in milliseconds.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, Callable[[str], int]] = {}

    def counter(self, folder: object) -> Callable[[str], int]:
        if not isinstance(folder, str) or not (Path(folder) / "tokenizer.json").is_file():
            raise CorpusError(f"tokenizer must name a folder with a tokenizer.json, not {folder!r}")
        if folder not in self._loaded:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
            self._loaded[folder] = lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)
        return self._loaded[folder]


def serve(index: RetrievalIndex, manifest: dict[str, Any], stdin: TextIO, stdout: TextIO) -> int:
    """One JSON reply per request line; a bad request gets an error reply and the server goes on."""
    tokenizers = _Tokenizers()
    stdout.write(
        json.dumps({"ready": True, "pairs": manifest["pairs"], "data_hash": manifest["data_hash"]}) + "\n"
    )
    stdout.flush()
    for line in stdin:
        if not line.strip():
            continue
        started = time.perf_counter()
        request_id: Any = None
        try:
            request = json.loads(line)
            request_id = request.get("id") if isinstance(request, dict) else None
            k = request.get("k", 5) if isinstance(request, dict) else 5
            if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
                raise CorpusError(f"k must be a whole number from 1 to {MAX_K}")
            query = query_from_record({**request, "question": request.get("query")}, "request")
            hits = index.search(query, k)
            reply: dict[str, Any] = {"id": request_id, "hits": [h.as_json() for h in hits]}
            if request.get("rag") is True:
                sources = sources_from_hits(hits)
                if request.get("tokenizer") is not None:
                    # Cut as training and evaluate cut, with the answering model's own tokenizer.
                    count = tokenizers.counter(request["tokenizer"])
                    budget = request.get("context_tokens", DEFAULT_CONTEXT_TOKENS)
                    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 64:
                        raise CorpusError("context_tokens must be a whole number of at least 64")
                    sources = fit_sources(query.text, sources, count, budget)
                reply["sources"] = [s.as_json() for s in sources]
                reply["user_content"] = render_user_content(query.text, sources)
        except (json.JSONDecodeError, CorpusError, AttributeError) as error:
            reply = {"id": request_id, "error": f"bad request: {error}"}
        reply["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
        stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.k <= MAX_K:
        print(f"error: --k must be from 1 to {MAX_K}", file=sys.stderr)
        return 2
    try:
        index, manifest = RetrievalIndex.load(args.index)
        if args.serve:
            return serve(index, manifest, sys.stdin, sys.stdout)
        queries = [Query(text=args.query)] if args.query is not None else list(read_queries(args.queries))
        for query in queries:
            hits = [h.as_json() for h in index.search(query, args.k)]
            if args.json:
                sys.stdout.write(
                    json.dumps({"id": query.id, "query": query.text, "hits": hits}, ensure_ascii=False)
                )
                sys.stdout.write("\n")
            else:
                _print_human(query, hits, sys.stdout)
    except (CorpusError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
