"""Generated predictions files for the `score` fuzz (tests/test_fuzz_score.py): valid rows, damaged lines, and
long reference/prediction pairs. Each file comes with what `score` must do with each of its lines."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

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


# Long texts: `score` once needed memory in the product of the two lengths (ROUGE-L's table). Tokens of one to
# a few characters reach ROUGE_L_MAX_TOKENS (20,000) in well under 200 kB, so the cap is crossed cheaply.
LONG_WORDS = [
    "fever",
    "and",
    "rest",
    "a",
    "b",
    "x",
    "1",
    "αβγ",
    "kidney-failure;",
    "😀",
    "the",
    "e\u0301",
    "<think>",
]


@st.composite
def long_pairs(draw: Callable[..., Any], max_tokens: int) -> tuple[str, str]:
    """(prediction, reference): repeated word patterns up to `max_tokens` words each, often sharing a beginning."""

    def text() -> str:
        pattern = draw(st.lists(st.sampled_from(LONG_WORDS), min_size=1, max_size=30))
        count = draw(st.integers(0, max_tokens))
        return " ".join(pattern[i % len(pattern)] for i in range(count))

    reference = text()
    shared = reference[: draw(st.integers(0, len(reference)))] if draw(st.booleans()) else ""
    return shared + text(), reference
