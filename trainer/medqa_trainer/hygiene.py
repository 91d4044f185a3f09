"""Prediction hygiene: find answers that were extracted dishonestly or broke, and clean them on request.

The classic mistake: decode the whole sequence with special tokens skipped and split on a marker; what is
left starts with `user\\n<question>\\n...assistant\\n`, which overlaps the reference and inflates F1. `evaluate`
avoids it by decoding only the new token ids; this module detects it (and similar damage) in any file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

FLAGS = ("empty", "role_markers", "prompt_echo", "think_block", "truncated")
MAX_EXAMPLE_IDS = 10

# A line holding only a chat role name: what `<|im_start|>user\n` becomes once special tokens are skipped.
_ROLE_LINE = re.compile(r"^[ \t]*(system|user|assistant)[ \t]*:?[ \t]*$", re.MULTILINE | re.IGNORECASE)
_ASSISTANT_LINE = re.compile(r"^[ \t]*assistant[ \t]*:?[ \t]*$", re.MULTILINE | re.IGNORECASE)
_SPECIAL_TOKENS = re.compile(r"<\|(?:im_start|im_end|endoftext)\|>")
_THINK = re.compile(r"</?think>")
_MIN_ECHO_WORDS = 3  # shorter questions ("What is X?") could be quoted honestly


@dataclass(frozen=True)
class Prediction:
    id: str
    prediction: str
    question: str | None = None
    truncated: bool | None = None  # None: unknown (only `evaluate` knows whether generation hit the limit)


def _question_pattern(question: str) -> re.Pattern[str] | None:
    words = question.split()
    if len(words) < _MIN_ECHO_WORDS:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words), re.IGNORECASE)


def inspect(item: Prediction) -> list[str]:
    """The hygiene flags (names from FLAGS) that apply to one prediction."""
    text = item.prediction
    flags: list[str] = []
    if not text.strip():
        flags.append("empty")
    if _ROLE_LINE.search(text) or _SPECIAL_TOKENS.search(text):
        flags.append("role_markers")
    pattern = _question_pattern(item.question) if item.question else None
    if pattern is not None and pattern.search(text):
        flags.append("prompt_echo")
    if _THINK.search(text):
        flags.append("think_block")
    # An empty answer that hit the limit (only whitespace or special tokens were generated) has one problem,
    # emptiness: counting it as "cut" too would report one broken answer as two causes.
    if item.truncated and "empty" not in flags:
        flags.append("truncated")
    return flags


def clean(prediction: str, question: str | None = None) -> str:
    """The answer with chat scaffolding removed: role lines and special tokens, think blocks, an echoed question."""
    text = _SPECIAL_TOKENS.sub("\n", prediction)
    # Everything up to the last "assistant" line is the echoed conversation.
    assistant_lines = list(_ASSISTANT_LINE.finditer(text))
    if assistant_lines:
        text = text[assistant_lines[-1].end() :]
    text = _ROLE_LINE.sub("", text)
    # Reasoning ends at the last </think>; an unclosed <think> means the rest is unfinished reasoning.
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:
        text = text.split("<think>", 1)[0]
    text = text.strip()
    pattern = _question_pattern(question) if question else None
    if pattern is not None:
        match = pattern.match(text)
        if match:
            text = text[match.end() :].strip()
    return text


def report(items: Sequence[Prediction], *, truncation_known: bool) -> dict[str, Any]:
    """Counts and example ids per flag, for metrics.json["hygiene"]."""
    flags: dict[str, dict[str, Any]] = {name: {"count": 0, "examples": []} for name in FLAGS}
    flagged = 0
    for item in items:
        found = inspect(item)
        flagged += bool(found)
        for name in found:
            entry = flags[name]
            entry["count"] += 1
            if len(entry["examples"]) < MAX_EXAMPLE_IDS:
                entry["examples"].append(item.id)
    if not truncation_known:
        flags["truncated"] = {
            "count": None,
            "examples": [],
            "note": "unknown: the predictions file does not say whether generation hit max_new_tokens",
        }
    return {"checked": len(items), "flagged": flagged, "flags": flags}


def warn(hygiene: dict[str, Any], stream: TextIO | None = None, *, hint: str | None = None) -> bool:
    """Print a warning for flagged predictions (to stderr by default); returns whether anything was printed."""
    stream = stream or sys.stderr
    parts = []
    for name, entry in hygiene["flags"].items():
        if entry["count"]:
            examples = ", ".join(str(example) for example in entry["examples"][:3])
            parts.append(f"{name}: {entry['count']} (e.g. {examples})")
    if not parts:
        return False
    print(
        f"warning: {hygiene['flagged']} of {hygiene['checked']} predictions look suspicious — "
        + "; ".join(parts),
        file=stream,
    )
    if hint:
        print(hint, file=stream)
    return True
