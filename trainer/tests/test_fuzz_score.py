"""Seeded fuzz of `score` (issue 11): generated predictions files, valid ones and damaged ones.

Invariants: no exception escapes (a bad file is a PredictionsFileError listing its lines, never a crash); every
non-blank line is scored or reported as a problem with its line number (a file is scored only when all of them
are good); a line known to be bad is reported and a line known to be good is not; metric values are finite or
null; output ids are unique and the output is valid strict JSON in UTF-8.

Size: MEDQA_FUZZ_EXAMPLES files for reading + the cheap metrics (exact match, F1, perplexity, hygiene, the
bootstrap aggregation and the output rows); a tenth of that for the full scorer (`score` run in process with
every metric, files written), whose METEOR/ROUGE/BLEU cost about 80 ms a file. The default (300) keeps the normal
pytest run fast; the fuzz run is `MEDQA_FUZZ_EXAMPLES=10000` (see `npm run fuzz`). The seed is fixed
(MEDQA_FUZZ_SEED overrides it, to look further).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from medqa_trainer import hygiene, score
from medqa_trainer.events import _json_safe
from medqa_trainer.metrics import ScoredExamples, summarize_with_qtypes
from medqa_trainer.metrics.text import exact_match, token_f1

# The "overflow" damage (a mean loss of 1e300) makes exp overflow on purpose: perplexity is then +inf, written null.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")

FUZZ_SEED = int(os.environ.get("MEDQA_FUZZ_SEED", "20261129"))
EXAMPLES = int(os.environ.get("MEDQA_FUZZ_EXAMPLES", "300"))
FULL_EXAMPLES = max(30, EXAMPLES // 10)

FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# ---------------------------------------------------------------------------------------------------------------
# Generated files
# ---------------------------------------------------------------------------------------------------------------

GOOD, BAD, UNKNOWN, BLANK = "good", "bad", "unknown", "blank"

NASTY = [
    "",
    " ",
    "\t",
    "\u00a0",
    "\u2028",
    "\u0085",
    "\ufeff",
    "\x00",
    "\x1c",
    "é",
    "e\u0301",
    "😀",
    "👩‍⚕️",
    "\ufffd",
    "<think>hmm</think> Rest.",
    "<think>unfinished",
    "assistant\nRest and fluids.",
    "<|im_start|>user\nWhat?<|im_end|>",
    "What are the symptoms of Abacavir overdose ? Nausea.",
    '"quoted" \\ back\\slash',
    "null",
    "NaN",
    "1e999",
    "\\ud800",
]

TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(NASTY),
    st.lists(
        st.sampled_from(["the", "a", "fever", "rest", "fluids", "Abacavir", ".", ",", "?"]), max_size=25
    ).map(" ".join),
)
LONE_SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
QTYPES = st.one_of(
    st.sampled_from(["symptoms", "treatment", "causes", "", "ünïcode", "a/b", "unknown"]), TEXT
)


def huge_text(kib_max: int) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(["fever and rest ", "αβγ ", "😀", "x"]), st.integers(1, kib_max)).map(
        lambda unit_kib: unit_kib[0] * (unit_kib[1] * 1024 // len(unit_kib[0]))
    )


@dataclass
class Case:
    """A predictions file and, per line, what `score` must do with it."""

    data: bytes
    tags: list[str]  # per physical line (1-based line n is tags[n-1]); UNKNOWN after byte-level damage
    steps: list[str] = field(default_factory=list)


def _row(draw: Callable[..., Any], index: int, huge_kib: int) -> tuple[dict[str, Any], str]:
    """A valid row (and its tag: UNKNOWN when its id may collide with a generated `line-N` id)."""
    text = st.one_of(TEXT, huge_text(huge_kib)) if draw(st.integers(0, 40)) == 0 else TEXT
    row: dict[str, Any] = {"reference": draw(text), "prediction": draw(text)}
    tag = GOOD
    id_kind = draw(st.sampled_from(["none", "none", "str", "int", "line"]))
    if id_kind == "str":
        row["id"] = f"ex-{index}"
    elif id_kind == "int":
        row["id"] = index
    elif id_kind == "line":
        row["id"] = f"line-{draw(st.integers(1, 8))}"
        tag = UNKNOWN
    if draw(st.booleans()):
        row["question"] = draw(TEXT)
    if draw(st.booleans()):
        row["qtype"] = draw(QTYPES)
    if draw(st.booleans()):
        row["truncated"] = draw(st.booleans())
    if draw(st.booleans()):
        tokens = draw(st.integers(1, 512))
        row["answer_tokens"] = tokens
        row["loss_sum"] = draw(st.floats(0, 12 * tokens, allow_nan=False)) if draw(st.booleans()) else tokens
        row["new_tokens"] = draw(st.integers(0, 512))
    if draw(st.booleans()):
        row["decoding_hash"] = "sha256:" + "0" * 8
    if draw(st.integers(0, 5)) == 0:
        row["extra"] = {"nested": [1, None, "x"]}
    keys = list(row)
    order = draw(st.permutations(keys))
    return {key: row[key] for key in order}, tag


WRONG_VALUES: list[Any] = [1, 1.5, None, True, [], {}, ["a"], {"text": "x"}]
LINE_DAMAGE = [
    "drop_required",
    "retype_required",
    "retype_optional",
    "nonfinite",
    "negative",
    "overflow",
    "huge_int",
    "deep",
    "not_object",
    "truncate_line",
    "duplicate",
    "escaped_surrogate",
    "raw_surrogate",
]


def _damage_line(draw: Callable[..., Any], line: str, row: dict[str, Any], tag: str) -> list[tuple[str, str]]:
    """The line(s) replacing `line` after one kind of damage, each with its tag."""
    kind = draw(st.sampled_from(LINE_DAMAGE))
    changed = dict(row)
    if kind == "drop_required":
        del changed[draw(st.sampled_from(["reference", "prediction"]))]
        return [(json.dumps(changed), BAD)]
    if kind == "retype_required":
        changed[draw(st.sampled_from(["reference", "prediction"]))] = draw(st.sampled_from(WRONG_VALUES[:6]))
        return [(json.dumps(changed), BAD)]
    if kind == "retype_optional":
        key, value = draw(
            st.sampled_from(
                [
                    ("id", 1.5),
                    ("id", True),
                    ("id", None if "id" in row else [1]),
                    ("truncated", "yes"),
                    ("truncated", 1),
                    ("new_tokens", "3"),
                    ("new_tokens", 2.5),
                    ("loss_sum", "1.0"),
                    ("answer_tokens", True),
                    ("question", 7),
                    ("qtype", ["a"]),
                    ("decoding_hash", {}),
                ]
            )
        )
        changed[key] = value
        # `"id": null` reads as no id: the row gets `line-N`, which another row may hold (so UNKNOWN).
        return [(json.dumps(changed), UNKNOWN if value is None else BAD)]
    if kind == "nonfinite":
        literal = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400]))
        changed.setdefault("answer_tokens", 3)
        changed["loss_sum"] = "__LITERAL__"
        return [(json.dumps(changed).replace('"__LITERAL__"', literal), BAD)]
    if kind == "negative":
        key = draw(st.sampled_from(["loss_sum", "answer_tokens", "new_tokens"]))
        changed[key] = -draw(st.integers(1, 5))
        if key != "new_tokens":
            changed.setdefault("loss_sum", 1.0)
            changed.setdefault("answer_tokens", 1)
        return [(json.dumps(changed), BAD)]
    if kind == "overflow":
        # A finite but absurd mean loss: exp overflows, so perplexity is infinite (written as null).
        changed.update(loss_sum=1e300, answer_tokens=1)
        return [(json.dumps(changed), UNKNOWN)]
    if kind == "huge_int":
        changed["id"] = "__LITERAL__"
        return [(json.dumps(changed).replace('"__LITERAL__"', "1" * draw(st.integers(4301, 6000))), BAD)]
    if kind == "deep":
        depth = draw(st.integers(1000, 100_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return [(opener * depth + "1" + closer * depth, BAD)]
    if kind == "not_object":
        return [(draw(st.sampled_from(["[1, 2]", "42", '"text"', "null", "true", "[]"])), BAD)]
    if kind == "truncate_line":
        return [(line[: draw(st.integers(1, max(1, len(line) - 1)))], BAD)]
    if kind == "duplicate":
        return [(line, tag), (line, BAD if "id" in row and row["id"] is not None else tag)]
    if kind == "escaped_surrogate":
        changed[draw(st.sampled_from(["reference", "prediction"]))] = "__LITERAL__"
        literal = draw(st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\udbff\\udbff"']))
        return [(json.dumps(changed).replace('"__LITERAL__"', literal), UNKNOWN)]
    # raw_surrogate: a str with a lone surrogate written unescaped (the file then holds CESU-like bytes).
    changed[draw(st.sampled_from(["reference", "prediction", "question", "qtype"]))] = draw(LONE_SURROGATES)
    return [(json.dumps(changed, ensure_ascii=False), UNKNOWN)]


@st.composite
def predictions_files(draw: Callable[..., Any], huge_kib: int = 256) -> Case:
    rows = [_row(draw, i, huge_kib) for i in range(draw(st.integers(0, 6)))]
    if any(str(row.get("id", "")).startswith("line-") for row, _ in rows):
        # A row without an id gets `line-N`, maybe another row's id: both are UNKNOWN then.
        rows = [(row, UNKNOWN if "id" not in row else tag) for row, tag in rows]
    steps = [f"{len(rows)} valid rows"]
    ascii_only = draw(st.booleans())
    # Half the files are valid (so the scorer gets to work); in the rest, a third of the lines are damaged.
    damaged: bool = draw(st.booleans())
    lines: list[tuple[str, str]] = []
    for row, tag in rows:
        line = json.dumps(row, ensure_ascii=ascii_only)
        if damaged and draw(st.integers(0, 2)) == 0:
            replacement = _damage_line(draw, line, row, tag)
            steps.append(f"line {len(lines) + 1}: {[text[:60] for text, _ in replacement]}")
            lines.extend(replacement)
        else:
            lines.append((line, tag))
    for _ in range(draw(st.integers(0, 3))):
        blank = draw(st.sampled_from(["", " ", "\t", "  \t ", "\x0c", "\u2028", "\u00a0", "\x1c"]))
        lines.insert(draw(st.integers(0, len(lines))), (blank, BLANK))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = newline.join(text for text, _ in lines) + (newline if lines and draw(st.booleans()) else "")
    data = text.encode("utf-8", errors="surrogatepass")
    tags = [tag for _, tag in lines]
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
        steps.append("BOM")
    damage = (
        draw(st.sampled_from(["none"] * 8 + ["truncate", "insert", "delete", "latin1"]))
        if damaged
        else "none"
    )
    if damage != "none" and data:
        at = draw(st.integers(0, len(data)))
        if damage == "truncate":
            data = data[:at]
        elif damage == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
        elif damage == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 12)) :]
        else:
            data = text.encode("latin-1", errors="replace")
        tags = []  # positions shifted: only the general invariants apply
        steps.append(f"bytes: {damage} at {at}")
    return Case(data, tags, steps)


# ---------------------------------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------------------------------


def physical_lines(data: bytes) -> list[str]:
    """The lines `score` sees: UTF-8 (BOM dropped, bad bytes replaced), universal newlines (\\n, \\r\\n, \\r)."""
    text = data.decode("utf-8-sig", errors="replace")
    return re.split(r"\r\n|\r|\n", text)


def non_blank_lines(data: bytes) -> list[int]:
    return [n for n, line in enumerate(physical_lines(data), start=1) if line.strip()]


def problem_lines(error: score.PredictionsFileError, path: Path) -> list[int]:
    prefix = re.compile(rf"^{re.escape(str(path))}:(\d+): ")
    numbers = []
    for problem in error.problems:
        match = prefix.match(problem)
        if match:
            numbers.append(int(match.group(1)))
        else:
            assert problem == f"{path}: no predictions (the file is empty)", problem
    return numbers


def load_checked(case: Case, path: Path) -> list[dict[str, Any]] | None:
    """load_predictions with the line invariants checked; the rows, or None when the file was refused."""
    path.write_bytes(case.data)
    lines = non_blank_lines(case.data)
    try:
        rows = score.load_predictions(path)
    except score.PredictionsFileError as error:
        reported = problem_lines(error, path)
        assert set(reported) <= set(lines), (
            f"problems on lines that are blank or absent: {reported} vs {lines}"
        )
        if not lines:
            assert error.problems == [f"{path}: no predictions (the file is empty)"]
        assert error.problems, "refused without a problem"
        for number, tag in enumerate(case.tags, start=1):
            if tag == BAD:
                assert number in reported, f"bad line {number} not reported: {error.problems}"
            if tag == GOOD:
                assert number not in reported, f"good line {number} reported: {error.problems}"
        return None
    assert BAD not in case.tags, f"bad lines {[n for n, t in enumerate(case.tags, 1) if t == BAD]} scored"
    assert len(rows) == len(lines), f"{len(lines)} non-blank lines but {len(rows)} rows"
    for row in rows:
        assert isinstance(row["reference"], str) and isinstance(row["prediction"], str)
    return rows


def finite_or_null(value: Any, where: str, *, infinite_perplexity: bool = False) -> None:
    """Every number in a metrics value is finite (JSON has no NaN or Infinity; null says 'not available').

    In memory (`infinite_perplexity`), a perplexity may be +inf: exp of a huge mean loss; it is written as null.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            finite_or_null(item, f"{where}.{key}", infinite_perplexity=infinite_perplexity)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            finite_or_null(item, f"{where}[{i}]", infinite_perplexity=infinite_perplexity)
    elif isinstance(value, float):
        overflow = infinite_perplexity and "perplexity" in where and value == math.inf
        assert math.isfinite(value) or overflow, f"{where} is {value}"


def strict_utf8_json(value: Any) -> bytes:
    """What the writers produce (no NaN, UTF-8); raises if the value cannot be written."""
    return json.dumps(_json_safe(value), ensure_ascii=False, allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    name: str
    size: int
    tried: int = 0
    scored: int = 0
    refused: int = 0
    started: float = field(default_factory=time.perf_counter)

    def line(self) -> str:
        return (
            f"fuzz {self.name}: {self.tried} inputs (seed {FUZZ_SEED}; {self.scored} scored, {self.refused} "
            f"refused with their bad lines listed), 0 crashes, 0 unreported problems, "
            f"{time.perf_counter() - self.started:.1f} s"
        )


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="medqa-fuzz-score-") as folder:
        yield Path(folder)


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Callable[[Tally], None]:
    """Prints a tally's summary line on the terminal (also under -q, where output is captured)."""

    def show(tally: Tally) -> None:
        with capsys.disabled():
            print(f"\n{tally.line()}")

    return show


def test_fuzz_reading_and_cheap_metrics(scratch: Path, report: Callable[[Tally], None]) -> None:
    """MEDQA_FUZZ_EXAMPLES files: load_predictions, EM, F1, perplexity, hygiene, bootstrap summary, output rows."""
    tally = Tally("score: reading + cheap metrics", EXAMPLES)
    path = scratch / "predictions.jsonl"

    @seed(FUZZ_SEED)
    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES)
    @given(case=predictions_files())
    def check(case: Case) -> None:
        tally.tried += 1
        rows = load_checked(case, path)
        if rows is None:
            tally.refused += 1
            return
        tally.scored += 1
        predictions = [row["prediction"] for row in rows]
        references = [row["reference"] for row in rows]
        loss_sum, answer_tokens = score._loss_columns(rows)
        n = len(rows)
        # The cheap metrics for real; ROUGE-L, METEOR and BLEU as zeros (the full-scorer fuzz computes them).
        scored = ScoredExamples(
            exact_match=np.array([exact_match(p, r) for p, r in zip(predictions, references, strict=True)]),
            f1=np.array([token_f1(p, r) for p, r in zip(predictions, references, strict=True)]),
            rouge_l=np.zeros(n),
            meteor=np.zeros(n),
            bleu_stats=np.zeros((n, 10), dtype=np.int64),
            loss_sum=None if loss_sum is None else np.asarray(loss_sum, dtype=np.float64),
            answer_tokens=None if answer_tokens is None else np.asarray(answer_tokens, dtype=np.float64),
        )
        qtypes = [str(row.get("qtype") or score.UNKNOWN_QTYPE) for row in rows]
        summary = summarize_with_qtypes(scored, qtypes, resamples=20, seed=0)
        finite_or_null(summary, "summary", infinite_perplexity=True)
        items = score.hygiene_items(rows)
        hygiene_report = hygiene.report(items, truncation_known=True)
        cleaned = [hygiene.clean(row["prediction"], row.get("question")) for row in rows]
        out = score.output_rows(rows, scored)
        ids = [record["id"] for record in out]
        assert len(set(map(str, ids))) == len(ids), f"output ids repeat: {ids}"
        for record in out:
            finite_or_null(record["scores"], f"scores of {record['id']!r}", infinite_perplexity=True)
        strict_utf8_json(summary)
        strict_utf8_json(hygiene_report)
        strict_utf8_json(cleaned)
        for record in out:
            strict_utf8_json(record)

    check()
    assert tally.tried >= EXAMPLES
    report(tally)


def test_fuzz_full_score(scratch: Path, report: Callable[[Tally], None]) -> None:
    """A tenth as many files through `score` itself (every metric, both outputs written), in process."""
    tally = Tally("score: full scorer (run in process)", FULL_EXAMPLES)
    source = scratch / "full.jsonl"
    out_dir = scratch / "scored"

    @seed(FUZZ_SEED)
    @settings(FUZZ_SETTINGS, max_examples=FULL_EXAMPLES)
    @given(case=predictions_files(huge_kib=8), strip_prompt=st.booleans())
    def check(case: Case, strip_prompt: bool) -> None:
        tally.tried += 1
        rows = load_checked(case, source)
        for name in ("metrics.json", "predictions.jsonl"):
            (out_dir / name).unlink(missing_ok=True)
        args = argparse.Namespace(
            predictions=source, out=out_dir, strip_prompt=strip_prompt, bootstrap=10, seed=0
        )
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = score.run(args)
        if rows is None:
            tally.refused += 1
            assert code == 2 and "cannot be scored" in err.getvalue()
            assert not (out_dir / "metrics.json").exists()
            return
        tally.scored += 1
        assert code == 0, err.getvalue()
        metrics = json.loads(
            (out_dir / "metrics.json").read_bytes().decode("utf-8"), parse_constant=_no_constant
        )
        for key in ("overall", "by_qtype", "cleaned"):
            finite_or_null(metrics[key], key)
        assert metrics["n"] == len(rows)
        written = (out_dir / "predictions.jsonl").read_bytes().decode("utf-8").split("\n")[:-1]
        records = [json.loads(line, parse_constant=_no_constant) for line in written]
        assert len(records) == len(rows)
        ids = [str(record["id"]) for record in records]
        assert len(set(ids)) == len(ids), f"output ids repeat: {ids}"
        for record in records:
            finite_or_null(record["scores"], "scores")

    check()
    assert tally.tried >= FULL_EXAMPLES
    report(tally)


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in a written file: JSON has no such value")


# ---------------------------------------------------------------------------------------------------------------
# What the fuzz found (each was a crash or a line read without a problem before the fix in score.py)
# ---------------------------------------------------------------------------------------------------------------


def test_lines_the_fuzz_broke_score_with_are_reported_by_line(tmp_path: Path) -> None:
    ok = '"reference": "a b", "prediction": "a"'
    lines = {
        1: f'{{{ok}, "id": {"1" * 4301}}}',  # ValueError out of json.loads: a crash
        2: "[" * 100_000 + "]" * 100_000,  # RecursionError out of json.loads: a crash
        3: f'{{{ok}, "loss_sum": NaN, "answer_tokens": 2}}',  # read: perplexity NaN
        4: f'{{{ok}, "loss_sum": 1e999, "answer_tokens": 2}}',  # read as inf
        5: f'{{{ok}, "loss_sum": 1{"0" * 400}, "answer_tokens": 2}}',  # OverflowError in float()
        6: f'{{{ok}, "loss_sum": 1.5, "answer_tokens": -3}}',  # read: perplexity of a negative count
        7: '{"reference": "\\ud800", "prediction": "a"}',  # UnicodeEncodeError when the output is written
        8: f'{{{ok}, "id": "line-9"}}',
        9: f"{{{ok}}}",  # gets the id line-9 too: two output rows with one id
    }
    source = tmp_path / "p.jsonl"
    source.write_text("\n".join(lines[n] for n in sorted(lines)) + "\n", encoding="utf-8")
    with pytest.raises(score.PredictionsFileError) as caught:
        score.load_predictions(source)
    problems = [problem.removeprefix(f"{source}:") for problem in caught.value.problems]
    assert problems == [
        "1: not valid JSON (Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits)",
        "2: not valid JSON (nested too deeply)",
        "3: not valid JSON (NaN is not a JSON value)",
        "4: not valid JSON (the number 1e999 is out of range)",
        "5: 'loss_sum' must be a finite number >= 0, got 1" + "0" * 39,
        "6: 'answer_tokens' must be a finite number >= 0, got -3",
        "7: 'reference' has a lone surrogate (half of a \\ud800-\\udfff pair)",
        "9: no id, and the id it would get ('line-9') is the id on line 8",
    ]
    assert (
        score.run(
            argparse.Namespace(
                predictions=source, out=tmp_path / "out", strip_prompt=False, bootstrap=10, seed=0
            )
        )
        == 2
    )
    assert not (tmp_path / "out").exists()


def test_a_null_id_gets_a_line_id_like_a_missing_one(tmp_path: Path) -> None:
    source = tmp_path / "p.jsonl"
    source.write_text(
        '{"reference": "a", "prediction": "a", "id": null}\n{"reference": "b", "prediction": "b"}\n'
    )
    assert [row["id"] for row in score.load_predictions(source)] == ["line-1", "line-2"]
