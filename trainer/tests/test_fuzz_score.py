"""Seeded fuzz of `score` (issue 11): generated predictions files, valid ones and damaged ones.

Invariants: no exception escapes (a bad file is a PredictionsFileError listing its lines, never a crash); every
non-blank line is scored or reported as a problem with its line number (a file is scored only when all of them
are good); a line known to be bad is reported and a line known to be good is not; metric values are finite or
null; output ids are unique and the output is valid strict JSON in UTF-8.

Size: MEDQA_FUZZ_EXAMPLES files for reading + the cheap metrics (exact match, F1, perplexity, hygiene, the
bootstrap aggregation and the output rows); a tenth of that for the full scorer (`score` run in process with
every metric, files written), whose METEOR/ROUGE/BLEU cost about 80 ms a file. The default (300) keeps the normal
pytest run fast; the fuzz run is `MEDQA_FUZZ_EXAMPLES=10000` (see `npm run fuzz`). The seed is fixed
(MEDQA_FUZZ_SEED overrides it, to look further). Long texts (issue 22): a hundredth as many pairs of up to
22,000 words each through every metric, in bounded CPU time, with the ROUGE-L cap reported exactly.

The generators are in fuzz_score_inputs.py, the invariants in fuzz_score_checks.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzz_score_checks import finite_or_null, load_checked, strict_utf8_json
from fuzz_score_inputs import (
    EXAMPLES,
    FULL_EXAMPLES,
    FUZZ_SEED,
    FUZZ_SETTINGS,
    Case,
    long_pairs,
    predictions_files,
)
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from medqa_trainer import hygiene, score
from medqa_trainer.metrics import ScoredExamples, summarize_with_qtypes
from medqa_trainer.metrics.text import exact_match, token_f1

# The "overflow" damage (a mean loss of 1e300) makes exp overflow on purpose: perplexity is then +inf, written null.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")

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


LONG_EXAMPLES = max(3, EXAMPLES // 100)  # 3 by default (about 2 s each), 100 with MEDQA_FUZZ_EXAMPLES=10000
LONG_TOKENS = 22_000  # up to 22,000 words a text: past ROUGE_L_MAX_TOKENS


def test_fuzz_long_texts(report: Callable[[Tally], None]) -> None:
    """Long pairs through every metric of `score`: bounded time, values in range, the ROUGE-L cap reported exactly,
    and rouge-score's own value wherever its table is cheap enough to compute."""
    from rouge_score import rouge_scorer

    from medqa_trainer.metrics.text import ROUGE_L_MAX_TOKENS, rouge_tokens

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    tally = Tally("score: long texts", LONG_EXAMPLES)

    @seed(FUZZ_SEED)
    @settings(FUZZ_SETTINGS, max_examples=LONG_EXAMPLES)
    @given(pair=long_pairs(LONG_TOKENS))
    def check(pair: tuple[str, str]) -> None:
        tally.tried += 1
        prediction, reference = pair
        rows = [{"id": "long", "prediction": prediction, "reference": reference}]
        started = time.process_time()
        scored = score.score_rows(rows)
        reported = score.long_texts(rows)
        assert time.process_time() - started < 30, "one long pair took over 30 s of CPU"
        tally.scored += 1
        finite_or_null(scored.example_scores(0), "scores")
        assert 0.0 <= scored.rouge_l[0] <= 1.0 and 0.0 <= scored.meteor[0] <= 1.0
        longest = max(len(rouge_tokens(prediction)), len(rouge_tokens(reference)))
        assert reported["count"] == (1 if longest > ROUGE_L_MAX_TOKENS else 0), reported
        if (
            len(rouge_tokens(prediction)) * len(rouge_tokens(reference)) <= 200_000
        ):  # rouge-score fills a Python table of this many cells
            assert scored.rouge_l[0] == scorer.score(reference, prediction)["rougeL"].fmeasure

    check()
    assert tally.tried >= LONG_EXAMPLES
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
