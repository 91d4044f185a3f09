"""Reference for bench/tokens.ts: Rust `tokenizers` (from Python) counting tokens of the same texts.

argv: tokenizer.json, texts.json (a JSON list of strings), runs. Prints one JSON line with the per-run seconds of
`encode_batch` (Rust, multi-threaded) and of a per-text `encode` loop, and the token total.
"""

import json
import sys
import time

from tokenizers import Tokenizer


def main() -> None:
    tokenizer = Tokenizer.from_file(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as handle:
        texts = json.load(handle)
    runs = int(sys.argv[3])
    batch: list[float] = []
    loop: list[float] = []
    total = 0
    for _ in range(runs):
        start = time.perf_counter()
        encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
        batch.append(time.perf_counter() - start)
        total = sum(len(e.ids) for e in encodings)
        start = time.perf_counter()
        looped = sum(len(tokenizer.encode(t, add_special_tokens=False).ids) for t in texts)
        loop.append(time.perf_counter() - start)
        assert looped == total
    print(json.dumps({"batch": batch, "loop": loop, "tokens": total}))


if __name__ == "__main__":
    main()
