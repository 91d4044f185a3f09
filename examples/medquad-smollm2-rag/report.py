"""The RAG example's report: one table of evaluation rows on the same 200 pairs, with each row's 95 % bootstrap
intervals, the grounding measures, and paired tests of the target row against the rows it must beat.

    python report.py --row "base closed-book=DIR" ... --target "fine-tuned + retrieval" \
        --versus "fine-tuned closed-book" --versus "retrieval-only" --out results/

Each DIR holds metrics.json and predictions.jsonl (`evaluate`, `baseline` or `score`). Paired tests come from
`python -m medqa_trainer compare` (paired bootstrap, the same as the extension's comparisons), written beside the
report as `compare-<target>-vs-<row>/`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

TEXT_METRICS = (
    ("f1", "token F1", 2),
    ("bleu", "BLEU", 2),
    ("rouge_l", "ROUGE-L", 3),
    ("meteor", "METEOR", 3),
)
GROUNDING = (
    ("support", "support", 3),
    ("fabrication", "fabrication / 100 words", 2),
    ("citation_valid", "valid citations", 3),
)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def cell(entry: dict[str, Any] | None, digits: int) -> str:
    if not entry or entry.get("value") is None:
        return "–"
    ci = entry.get("ci")
    value = f"{entry['value']:.{digits}f}"
    return (
        f"{value} ({ci[0]:.{digits}f}–{ci[1]:.{digits}f})"
        if ci and None not in ci
        else value
    )


def p_text(p: float | None) -> str:
    return "–" if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def compare(base: Path, candidate: Path, out: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "medqa_trainer",
        "compare",
        "--base",
        str(base),
        "--candidate",
        str(candidate),
    ]
    subprocess.run([*command, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(
        (out / "comparison.json").read_text(encoding="utf-8")
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--row", action="append", required=True, help="NAME=DIR, in table order"
    )
    parser.add_argument("--target", required=True)
    parser.add_argument("--versus", action="append", default=[])
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    rows = dict(item.split("=", 1) for item in args.row)
    docs = {
        name: json.loads((Path(d) / "metrics.json").read_text(encoding="utf-8"))
        for name, d in rows.items()
    }
    args.out.mkdir(parents=True, exist_ok=True)

    header = (
        "| row | n | "
        + " | ".join(title for _, title, _ in TEXT_METRICS + GROUNDING)
        + " |"
    )
    lines = [header, "|" + " --- |" * (2 + len(TEXT_METRICS) + len(GROUNDING))]
    for name, doc in docs.items():
        grounding = (doc.get("grounding") or {}).get("overall", {})
        cells = [cell(doc["overall"].get(key), d) for key, _, d in TEXT_METRICS]
        cells += [cell(grounding.get(key), d) for key, _, d in GROUNDING]
        lines.append(f"| {name} | {doc['n']} | " + " | ".join(cells) + " |")

    tests = []
    if args.target in rows:
        for other in args.versus:
            if other not in rows:
                continue
            comparison = compare(
                Path(rows[other]),
                Path(rows[args.target]),
                args.out / f"compare-{slug(other)}",
            )
            parts = []
            for key, title, digits in TEXT_METRICS:
                entry = comparison["metrics"].get(key)
                if entry:
                    parts.append(
                        f"{title} {entry['absolute_change']:+.{digits}f} (p {p_text(entry['p_value'])})"
                    )
            tests.append(
                f"- **{args.target}** vs **{other}** ({comparison['n']} paired answers): "
                + "; ".join(parts)
            )
    else:
        tests.append(f"- The target row **{args.target}** has not been run yet.")
    text = (
        "\n".join(lines)
        + "\n\nPaired bootstrap (candidate − base):\n\n"
        + "\n".join(tests)
        + "\n"
    )
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
