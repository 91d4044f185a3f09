"""Long texts in `score`: ROUGE-L through a bit-parallel LCS (exactly rouge-score's value on real answers), a
reported cap for texts beyond ROUGE_L_MAX_TOKENS, and a 1,000,000-character pair scored in bounded memory."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medqa_trainer.metrics.lcs import lcs_length
from medqa_trainer.metrics.text import ROUGE_L_MAX_TOKENS, meteor, rouge_l, rouge_tokens
from medqa_trainer.retrieval.corpus import read_medquad

TRAINER_DIR = Path(__file__).resolve().parents[1]


def _table_lcs(a: list[str], b: list[str]) -> int:
    from rouge_score.rouge_scorer import _lcs_table

    return int(_lcs_table(a, b)[-1][-1]) if a and b else 0


def test_lcs_matches_the_full_table_on_random_sequences() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 25))]
        b = [rng.choice("abcdef") for _ in range(rng.randint(0, 25))]
        assert lcs_length(a, b) == _table_lcs(a, b), (a, b)
        assert lcs_length(b, a) == lcs_length(a, b)


@pytest.fixture(scope="module")
def medquad_answers(medquad_dir: Path) -> list[tuple[str, str]]:
    """(qtype, answer) for 150 real answers spread over the collections, the longest one last."""
    passages = [(p.qtype, p.answer) for p in read_medquad(medquad_dir)]
    rng = random.Random(3)
    sample = rng.sample(passages, 150)
    return [*sample, max(passages, key=lambda p: len(p[1]))]


def test_rouge_l_equals_rouge_score_on_medquad_answers(medquad_answers: list[tuple[str, str]]) -> None:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rng = random.Random(11)
    pairs = []
    for qtype, answer in medquad_answers[:-1]:
        same_qtype = [a for q, a in medquad_answers if q == qtype and a != answer]
        words = answer.split()
        pairs.append((rng.choice(same_qtype) if same_qtype else "", answer))  # another answer, same qtype
        pairs.append((" ".join(words[: max(1, len(words) // 2)]), answer))  # a truncated answer
        pairs.append((" ".join(rng.sample(words, len(words))), answer))  # the answer's words shuffled
    longest = medquad_answers[-1][1]
    pairs.append((medquad_answers[0][1], longest))  # rouge-score's own table for longest x longest takes long
    assert len(rouge_tokens(longest)) < ROUGE_L_MAX_TOKENS  # the cap never cuts a real answer
    for prediction, reference in pairs:
        expected = scorer.score(reference, prediction)["rougeL"].fmeasure
        assert rouge_l(prediction, reference) == expected  # equal, not approximately equal


def test_rouge_l_cuts_texts_beyond_the_cap() -> None:
    shared = " ".join(f"w{i}" for i in range(ROUGE_L_MAX_TOKENS))
    # Past the cap the texts differ completely; ROUGE-L sees only their identical first ROUGE_L_MAX_TOKENS tokens.
    assert rouge_l(shared + " x" * 5000, shared + " y" * 5000) == 1.0


def test_meteor_stays_fast_on_long_texts_with_nothing_in_common() -> None:
    # NLTK before 3.10 aligned words with a nested scan, three times: 10,000 x 10,000 tokens took minutes. It is
    # linear now (about a second here); the pin in requirements.txt keeps it so.
    meteor("warm up", "warm up")  # WordNet loads once
    hypothesis = " ".join(f"x{i}" for i in range(10_000))
    reference = " ".join(f"y{i}" for i in range(10_000))
    started = time.process_time()  # CPU time: the test machine's other work does not count
    assert meteor(hypothesis, reference) == 0.0
    assert time.process_time() - started < 10


# Run in a child so its peak RSS is its own: the 1,000,000-character pair of the adversary report (the kernel
# killed `score` at 23.4 GB). A small vocabulary keeps METEOR's WordNet lookups few.
_MEASURE = """
import json, resource, sys
# Address space capped at 4 GB: a regression fails with MemoryError instead of taking the machine's memory.
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from medqa_trainer.cli import main
code = main(["score", "--predictions", sys.argv[1], "--out", sys.argv[2], "--bootstrap", "20"])
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a big pytest process would report the
# parent's size (2.9 GB in a full run) instead of its own.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"code": code, "peak_kb": peak}))
"""


def _million_characters(seed: int) -> str:
    rng = random.Random(seed)
    words = [
        "the",
        "gene",
        "mutation",
        "causes",
        "a",
        "rare",
        "disorder",
        "of",
        "kidney",
        "liver",
        "heart",
        "muscle",
        "with",
        "fever",
        "pain",
        "and",
    ]
    vocabulary = words + [f"term{i}" for i in range(3000)]
    parts: list[str] = []
    size = 0
    while size < 1_000_000:
        word = rng.choice(vocabulary)
        parts.append(word)
        size += len(word) + 1
    return " ".join(parts)[:1_000_000]


def test_score_on_a_million_character_pair_stays_under_1_gb(tmp_path: Path) -> None:
    source = tmp_path / "huge.jsonl"
    row = {"id": "huge", "qtype": "information", "reference": _million_characters(1)}
    row["prediction"] = _million_characters(2)
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(source), str(out)],
        cwd=TRAINER_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    assert result["peak_kb"] < 1024 * 1024, f"peak RSS {result['peak_kb'] // 1024} MB"
    assert seconds < 240
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["long_texts"]["count"] == 1
    assert metrics["long_texts"]["examples"] == ["huge"]
    assert metrics["settings"]["rouge_l"]["max_tokens"] == ROUGE_L_MAX_TOKENS
    assert "first 20000 tokens" in done.stderr
    assert 0 < metrics["overall"]["rouge_l"]["value"] < 1
