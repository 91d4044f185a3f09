"""Hygiene detection and cleaning on the artefacts a careless extraction leaves behind."""

from __future__ import annotations

import io

import pytest

from medqa_trainer.hygiene import Prediction, clean, inspect, report, warn

QUESTION = "What are the symptoms of Glaucoma ?"
ANSWER = "At first, open-angle glaucoma has no symptoms."
# What decoding prompt + answer with skip_special_tokens=True gives for the Qwen3 chat template.
ECHOED = f"user\n{QUESTION}\nassistant\n<think>\n\n</think>\n\n{ANSWER}"


@pytest.mark.parametrize(
    ("prediction", "flags"),
    [
        (ANSWER, []),
        ("", ["empty"]),
        ("  \n ", ["empty"]),
        (ECHOED, ["role_markers", "prompt_echo", "think_block"]),
        (f"user\n{QUESTION}\n\nassistant\n{ANSWER}", ["role_markers", "prompt_echo"]),
        (f"<|im_start|>assistant\n{ANSWER}<|im_end|>", ["role_markers"]),
        (f"{QUESTION} {ANSWER}", ["prompt_echo"]),
        (f"<think>\nLet me recall.\n</think>\n\n{ANSWER}", ["think_block"]),
        ("<think>\nThe user asks about glaucoma and", ["think_block"]),
        # A word like "user" inside a sentence is not a role marker.
        ("Each user of the drug should see a doctor.", []),
    ],
)
def test_inspect_flags(prediction: str, flags: list[str]) -> None:
    assert inspect(Prediction("x", prediction, QUESTION)) == flags


def test_truncation_is_reported_only_when_known() -> None:
    assert inspect(Prediction("x", ANSWER, QUESTION, truncated=True)) == ["truncated"]
    assert inspect(Prediction("x", ANSWER, QUESTION, truncated=None)) == []


def test_an_empty_answer_that_hit_the_limit_counts_once_as_empty() -> None:
    assert inspect(Prediction("e", " \n", truncated=True)) == ["empty"]
    assert inspect(Prediction("t", ANSWER, truncated=True)) == ["truncated"]
    counts = report([Prediction("e", "", truncated=True), Prediction("t", ANSWER, truncated=True)], truncation_known=True)
    assert counts["flagged"] == 2
    assert counts["flags"]["empty"]["count"] == 1 and counts["flags"]["truncated"]["count"] == 1


def test_short_questions_are_not_echo_checked() -> None:
    # "Glaucoma ?" could be quoted by an honest answer; only questions of 3+ words count.
    assert inspect(Prediction("x", "Glaucoma ? It is a disease.", "Glaucoma ?")) == []


@pytest.mark.parametrize(
    "prediction",
    [
        ECHOED,
        f"user\n{QUESTION}\n\nassistant\n{ANSWER}",
        f"system\nBe brief.\nuser\n{QUESTION}\nassistant\n{ANSWER}",
        f"<|im_start|>assistant\n{ANSWER}<|im_end|>",
        f"<think>\nreasoning\n</think>\n\n{ANSWER}",
        f"{QUESTION}\n{ANSWER}",
        f"  {ANSWER}  ",
    ],
)
def test_clean_recovers_the_answer(prediction: str) -> None:
    assert clean(prediction, QUESTION) == ANSWER


def test_clean_drops_unfinished_thinking_and_keeps_honest_text() -> None:
    assert clean("<think>\nThe user asks", QUESTION) == ""
    assert (
        clean("Each user of the drug should see a doctor.", QUESTION)
        == "Each user of the drug should see a doctor."
    )


def test_report_counts_and_caps_example_ids() -> None:
    items = [Prediction(f"e{i}", "", None) for i in range(15)] + [Prediction("ok", ANSWER, QUESTION)]
    result = report(items, truncation_known=True)
    assert result["checked"] == 16 and result["flagged"] == 15
    assert result["flags"]["empty"]["count"] == 15
    assert result["flags"]["empty"]["examples"] == [f"e{i}" for i in range(10)]
    assert result["flags"]["truncated"] == {"count": 0, "examples": []}
    stream = io.StringIO()
    assert warn(result, stream, hint="hint text")
    assert "15 of 16 predictions look suspicious" in stream.getvalue() and "hint text" in stream.getvalue()
    assert not warn(report([Prediction("ok", ANSWER, QUESTION)], truncation_known=True), stream)
