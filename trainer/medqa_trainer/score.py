"""`score`: metrics for any predictions file, no model needed.

Input: JSON lines with `reference` and `prediction` (strings), optionally `id`, `question`, `qtype`,
`truncated` (bool), and `loss_sum` + `answer_tokens` (from `evaluate`; they give perplexity).
Output in --out: `predictions.jsonl` (input rows + per-example scores + hygiene flags) and `metrics.json`
(layout in docs/protocol.md, "Evaluation outputs"). A broken input file is reported line by line and
nothing is written.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from medqa_trainer import hygiene
from medqa_trainer.atomic import write_lines_atomic, write_text_atomic
from medqa_trainer.events import _json_safe, utc_now_iso
from medqa_trainer.metrics import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    ScoredExamples,
    grounding_rows,
    score_examples,
    summarize_with_qtypes,
)
from medqa_trainer.metrics.aggregate import CONFIDENCE
from medqa_trainer.metrics.text import (
    METEOR_TOKENIZER,
    ROUGE_L_MAX_TOKENS,
    ROUGE_USE_STEMMER,
    bleu_signature,
    rouge_l_truncated,
)
from medqa_trainer.recorded_paths import recorded_path

METRICS_FORMAT = "medqa-eval-metrics"
METRICS_VERSION = 1
UNKNOWN_QTYPE = "unknown"
MAX_PROBLEMS_SHOWN = 50
# Fields carried from an input row into the output row (besides the ones scoring adds).
CARRIED_FIELDS = (
    "id",
    "question",
    "qtype",
    "reference",
    "prediction",
    "truncated",
    "new_tokens",
    "loss_sum",
    "answer_tokens",
    "decoding_hash",
    "retrieved",  # the sources a retrieval-augmented prompt gave (docs/protocol.md §3)
    "cited",
)
_OPTIONAL_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str, int),
    "question": (str,),
    "qtype": (str,),
    "truncated": (bool,),
    "new_tokens": (int,),
    "loss_sum": (int, float),
    "answer_tokens": (int,),
    "decoding_hash": (str,),
}
# Counts and summed losses: a negative, infinite or unrepresentable one would make perplexity NaN or infinite.
_NON_NEGATIVE = ("new_tokens", "loss_sum", "answer_tokens")


class InputFileError(ValueError):
    """An input file with problems; `problems` holds one `file:line: what is wrong` per problem."""

    action = "be read"

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = f"\n… and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(
            f"{path} cannot {self.action} ({len(problems)} problem(s)):\n" + "\n".join(shown) + more
        )


class PredictionsFileError(InputFileError):
    action = "be scored"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--predictions", required=True, type=Path, help="JSON lines with reference and prediction"
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="folder for predictions.jsonl and metrics.json"
    )
    parser.add_argument(
        "--strip-prompt",
        action="store_true",
        help="also score cleaned answers (chat role lines, echoed question and <think> blocks removed)",
    )
    parser.add_argument(
        "--bootstrap", type=int, default=DEFAULT_RESAMPLES, help="bootstrap resamples for CIs"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_row(
    value: Any, where: str, seen: dict[str, int], line_no: int
) -> tuple[dict[str, Any] | None, list[str]]:
    if not isinstance(value, dict):
        return None, [f"{where}: expected a JSON object, got {_type_name(value)}"]
    problems = []
    for field in ("reference", "prediction"):
        if field not in value:
            problems.append(f"{where}: missing field '{field}'")
        elif not isinstance(value[field], str):
            problems.append(f"{where}: '{field}' must be a string, got {_type_name(value[field])}")
    for field, types in _OPTIONAL_TYPES.items():
        item = value.get(field)
        # bool is an int subclass: a `true` id or token count is a mistake, not a number.
        if item is not None and (
            not isinstance(item, types) or (isinstance(item, bool) and bool not in types)
        ):
            names = " or ".join(t.__name__ for t in types)
            problems.append(f"{where}: '{field}' must be {names}, got {_type_name(item)}")
        elif field in _NON_NEGATIVE and not _finite_non_negative(item):
            problems.append(f"{where}: '{field}' must be a finite number >= 0, got {str(item)[:40]}")
    problems.extend(grounding_rows.retrieved_problems(value.get("retrieved"), where))
    for field in CARRIED_FIELDS:
        # JSON can escape half a surrogate pair ("\ud800"); such a string cannot be written as UTF-8.
        if isinstance(value.get(field), str) and not _is_unicode(value[field]):
            problems.append(f"{where}: '{field}' has a lone surrogate (half of a \\ud800-\\udfff pair)")
    if "id" in value and isinstance(value["id"], (str, int)) and not isinstance(value["id"], bool):
        key = str(value["id"])
        if key in seen:
            problems.append(f"{where}: duplicate id {key!r} (first on line {seen[key]})")
        else:
            seen[key] = line_no
    return (None if problems else value), problems


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _finite_non_negative(number: object) -> bool:
    if not isinstance(number, (int, float)):
        return True  # a wrong type is its own problem
    try:
        return math.isfinite(float(number)) and number >= 0
    except OverflowError:  # an int beyond float range
        return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def json_lines(path: Path, problems: list[str]) -> Iterator[tuple[int, str, Any]]:
    """(line number, "file:line", parsed value) per non-blank line; unparsable lines are added to `problems`."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                value = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)
            except json.JSONDecodeError as error:
                problems.append(f"{where}: not valid JSON ({error.msg} at column {error.colno})")
                continue
            except RecursionError:
                problems.append(f"{where}: not valid JSON (nested too deeply)")
                continue
            except ValueError as error:  # NaN/Infinity, 1e999, an integer of more than 4300 digits
                problems.append(f"{where}: not valid JSON ({str(error).split(';')[0]})")
                continue
            yield line_no, where, value


def load_predictions(path: Path) -> list[dict[str, Any]]:
    """Rows of a predictions file, validated; raises PredictionsFileError listing every bad line."""
    if path.is_dir():
        raise PredictionsFileError(path, [f"{path}: is a folder; give the predictions .jsonl file inside it"])
    if not path.is_file():
        raise PredictionsFileError(path, [f"{path}: no such file"])
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    generated: list[tuple[str, str]] = []
    for line_no, where, value in json_lines(path, problems):
        row, row_problems = _check_row(value, where, seen, line_no)
        problems.extend(row_problems)
        if row is not None:
            if row.get("id") is None:
                row = {**row, "id": f"line-{line_no}"}
                generated.append((where, row["id"]))
            rows.append(row)
    # A row without an id gets `line-N`, which must not be another row's own id (ids key the output rows).
    problems.extend(
        f"{where}: no id, and the id it would get ({key!r}) is the id on line {seen[key]}"
        for where, key in generated
        if key in seen
    )
    if not rows and not problems:
        problems.append(f"{path}: no predictions (the file is empty)")
    if problems:
        raise PredictionsFileError(path, problems)
    return rows


def _loss_columns(rows: Sequence[dict[str, Any]]) -> tuple[list[float] | None, list[int] | None]:
    """Per-example answer losses when every row has them (rows from `evaluate`), else (None, None)."""
    if rows and all(isinstance(r.get("loss_sum"), (int, float)) and r.get("answer_tokens") for r in rows):
        return [float(r["loss_sum"]) for r in rows], [int(r["answer_tokens"]) for r in rows]
    return None, None


def score_rows(rows: Sequence[dict[str, Any]], predictions: Sequence[str] | None = None) -> ScoredExamples:
    """Per-example metrics for `rows` (their `prediction`s, or the given replacement predictions)."""
    loss_sum, answer_tokens = _loss_columns(rows)
    texts = [str(r["prediction"]) for r in rows] if predictions is None else list(predictions)
    return score_examples(texts, [str(r["reference"]) for r in rows], loss_sum, answer_tokens)


def hygiene_items(rows: Sequence[dict[str, Any]]) -> list[hygiene.Prediction]:
    return [
        hygiene.Prediction(str(r["id"]), str(r["prediction"]), r.get("question"), r.get("truncated"))
        for r in rows
    ]


def output_rows(
    rows: Sequence[dict[str, Any]],
    scored: ScoredExamples,
    cleaned: tuple[list[str], ScoredExamples] | None = None,
) -> list[dict[str, Any]]:
    """predictions.jsonl rows: carried fields, per-example `scores`, `hygiene` flags (and the cleaned answer)."""
    out = []
    groundings = grounding_rows.row_groundings(rows)
    for i, (row, item) in enumerate(zip(rows, hygiene_items(rows), strict=True)):
        record = {field: row[field] for field in CARRIED_FIELDS if field in row}
        record["qtype"] = row.get("qtype") or UNKNOWN_QTYPE
        record["scores"] = scored.example_scores(i)
        grounding_rows.add_to_record(record, groundings[i], grounding_rows.passages_of(row) is not None)
        record["hygiene"] = hygiene.inspect(item)
        if cleaned is not None:
            record["prediction_clean"] = cleaned[0][i]
            record["scores_clean"] = cleaned[1].example_scores(i)
        out.append(record)
    return out


def settings(resamples: int, seed: int) -> dict[str, Any]:
    """How the numbers were computed; two metrics files are comparable when these agree."""
    return {
        "bootstrap": {"resamples": resamples, "seed": seed, "confidence": CONFIDENCE},
        "bleu": {"signature": bleu_signature(), "sacrebleu": importlib.metadata.version("sacrebleu")},
        "rouge_l": {
            "use_stemmer": ROUGE_USE_STEMMER,
            "rouge_score": importlib.metadata.version("rouge-score"),
            "max_tokens": ROUGE_L_MAX_TOKENS,
        },
        "meteor": {"tokenizer": METEOR_TOKENIZER, "nltk": importlib.metadata.version("nltk")},
        "units": {
            "exact_match": "percent",
            "f1": "percent",
            "bleu": "0-100",
            "rouge_l": "0-1",
            "meteor": "0-1",
            "perplexity": "exp(mean answer-token loss)",
        },
    }


def long_texts(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The examples whose ROUGE-L saw only the first ROUGE_L_MAX_TOKENS tokens of a text (see metrics/text.py)."""
    ids = [str(r["id"]) for r in rows if rouge_l_truncated(str(r["prediction"]), str(r["reference"]))]
    return {
        "rouge_l_max_tokens": ROUGE_L_MAX_TOKENS,
        "count": len(ids),
        "examples": ids[:10],
        "note": None
        if not ids
        else f"ROUGE-L of these examples used each text's first {ROUGE_L_MAX_TOKENS} tokens; "
        "the other metrics used every token",
    }


def warn_long_texts(document: dict[str, Any]) -> None:
    entry = document.get("long_texts") or {}
    if entry.get("count"):
        print(
            f"warning: {entry['count']} example(s) over the length limit: {entry['note']} "
            f"(e.g. {', '.join(entry['examples'][:3])})",
            file=sys.stderr,
        )


def metrics_document(
    rows: Sequence[dict[str, Any]],
    scored: ScoredExamples,
    *,
    source: str,
    truncation_known: bool,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    cleaned: tuple[list[str], ScoredExamples] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The metrics.json object (see docs/protocol.md, "Evaluation outputs")."""
    qtypes = [str(r.get("qtype") or UNKNOWN_QTYPE) for r in rows]
    summary = summarize_with_qtypes(scored, qtypes, resamples=resamples, seed=seed)
    document: dict[str, Any] = {
        "format": METRICS_FORMAT,
        "version": METRICS_VERSION,
        "created_at": utc_now_iso(),
        "source": source,
        **summary,
        "hygiene": hygiene.report(hygiene_items(rows), truncation_known=truncation_known),
        "long_texts": long_texts(rows),
        "cleaned": None,
        "grounding": grounding_rows.document_for_rows(rows, qtypes, resamples=resamples, seed=seed),
        "settings": settings(resamples, seed),
    }
    if cleaned is not None:
        changed = sum(c != str(r["prediction"]) for c, r in zip(cleaned[0], rows, strict=True))
        document["cleaned"] = {
            "changed": changed,
            **summarize_with_qtypes(cleaned[1], qtypes, resamples=resamples, seed=seed),
        }
    document.update(extra or {})
    return document


def write_json(path: Path, value: Any) -> None:
    """Atomic (unique temp + fsync + rename): a reader never sees half a metrics file."""
    write_text_atomic(
        path, json.dumps(_json_safe(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    write_lines_atomic(
        path, (json.dumps(_json_safe(row), ensure_ascii=False, allow_nan=False) + "\n" for row in rows)
    )


def run(args: argparse.Namespace) -> int:
    source: Path = args.predictions
    out_dir: Path = args.out
    if (out_dir / "predictions.jsonl").resolve() == source.resolve():
        print(
            f"error: --out {out_dir} would overwrite the input {source}; choose another folder",
            file=sys.stderr,
        )
        return 2
    try:
        rows = load_predictions(source)
    except PredictionsFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. a file this user may not read
        print(f"error: {source}: cannot be read ({error.strerror or error})", file=sys.stderr)
        return 2
    scored = score_rows(rows)
    cleaned = None
    if args.strip_prompt:
        texts = [hygiene.clean(str(r["prediction"]), r.get("question")) for r in rows]
        cleaned = (texts, score_rows(rows, texts))
    truncation_known = any(isinstance(r.get("truncated"), bool) for r in rows)
    document = metrics_document(
        rows,
        scored,
        source="score",
        truncation_known=truncation_known,
        resamples=args.bootstrap,
        seed=args.seed,
        cleaned=cleaned,
        extra={"predictions_source": recorded_path(source, out_dir)},
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_jsonl(out_dir / "predictions.jsonl", output_rows(rows, scored, cleaned))
        write_json(out_dir / "metrics.json", document)
    except OSError as error:  # --out is a file, a read-only folder, a full disk
        print(f"error: cannot write into {out_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    hint = None if args.strip_prompt else "Run `score --strip-prompt` to also score cleaned answers."
    hygiene.warn(document["hygiene"], hint=hint)
    warn_long_texts(document)
    print(format_summary(document))
    print(f"wrote {out_dir / 'metrics.json'} and {out_dir / 'predictions.jsonl'}")
    return 0


def format_summary(document: dict[str, Any]) -> str:
    """A Markdown table of the overall and per-qtype values (what people read in the terminal)."""
    names = [
        name
        for name in ("exact_match", "f1", "bleu", "rouge_l", "meteor", "perplexity")
        if name in document["overall"]
    ]
    lines = ["| group | n | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]

    def add(label: str, n: int, values: dict[str, Any]) -> None:
        cells = [_format_value(values[name]["value"]) for name in names]
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")

    add("overall", document["n"], document["overall"])
    for qtype, values in document["by_qtype"].items():
        add(qtype, values["n"], values)
    if document.get("cleaned"):
        add("overall (cleaned)", document["n"], document["cleaned"]["overall"])
    grounding = grounding_rows.summary_line(document.get("grounding"))
    return "\n".join(lines + ([grounding] if grounding else []))


def _format_value(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
