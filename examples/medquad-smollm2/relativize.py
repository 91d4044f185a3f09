"""Rewrites the absolute paths that a run's files record (the checkout that made them, the model cache) so shipped
copies (results/, demo/.medqa/runs/) carry no machine's paths.

    relativize.py --root DIR [--root DIR ...] [--replace DIR=TEXT ...] --tree ORIGIN COPY
    relativize.py --root DIR [--replace DIR=TEXT ...] --file ORIGIN_DIR FILE

A path under a --root becomes relative to the folder its file was written in (ORIGIN_DIR, or for --tree the folder
in ORIGIN that COPY mirrors), the convention of the trainer's config (relative paths are read from the config's
folder) and of evaluation.json. A path under a --replace folder becomes TEXT (the model cache folder becomes the
catalogue name that resolves to it on any machine). Text files only: a binary file in a tree is reported and left.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

# Characters that end a path inside JSON, YAML, Markdown or prose.
PATH_END = r"[^\s\"'`,;)\]}>]*"


def rewrite(text: str, origin_dir: Path, roots: list[Path], replace: dict[Path, str]) -> str:
    for folder, name in replace.items():
        text = re.sub(re.escape(str(folder)) + r"(?![\w.-])" + PATH_END, name, text)
    # Longest root first, so a root inside another one (the work folder inside the checkout) is matched whole.
    for root in sorted(roots, key=lambda r: len(str(r)), reverse=True):

        def relative(match: re.Match[str]) -> str:
            return Path(os.path.relpath(match.group(0), origin_dir)).as_posix()

        text = re.sub(re.escape(str(root)) + r"(?![\w.-])" + PATH_END, relative, text)
    return text


def rewrite_file(file: Path, origin_dir: Path, roots: list[Path], replace: dict[Path, str]) -> bool:
    data = file.read_bytes()
    if b"\0" in data:
        print(f"left binary file {file}", file=sys.stderr)
        return False
    text = data.decode("utf-8")
    new = rewrite(text, origin_dir, roots, replace)
    if new != text:
        file.write_text(new, encoding="utf-8")
        print(f"relativized {file}", file=sys.stderr)
    return new != text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, action="append", required=True)
    parser.add_argument("--replace", action="append", default=[], metavar="DIR=TEXT")
    parser.add_argument("--tree", nargs=2, type=Path, action="append", default=[], metavar=("ORIGIN", "COPY"))
    parser.add_argument("--file", nargs=2, type=Path, action="append", default=[], metavar=("ORIGIN_DIR", "FILE"))
    args = parser.parse_args()
    replace = {Path(folder): text for folder, _, text in (item.partition("=") for item in args.replace)}
    for origin, copy in args.tree:
        for file in sorted(p for p in copy.rglob("*") if p.is_file()):
            rewrite_file(file, origin / file.parent.relative_to(copy), args.root, replace)
    for origin_dir, file in args.file:
        rewrite_file(file, origin_dir, args.root, replace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
