"""Longest-common-subsequence length in memory that grows with the shorter sequence only.

rouge-score fills a len(target) x len(prediction) table of Python ints: two 1,000,000-character texts (about
170,000 tokens each) need tens of GB. The bit-parallel recurrence (Hyyrö 2004; Crochemore et al. 2001) keeps one
row as the bits of a Python int as wide as the shorter sequence and updates it with a few big-int operations per
token of the longer one: the same LCS length as the table, at a tiny fraction of its memory and time.
"""

from __future__ import annotations

from collections.abc import Sequence


def lcs_length(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token sequences (exactly what a full DP table gives)."""
    rows, columns = (first, second) if len(first) >= len(second) else (second, first)
    width = len(columns)
    if width == 0:
        return 0
    # matches[token]: bit j set where columns[j] == token. At most one bit per column in all the masks together,
    # so they hold width bits per distinct token: bounded by width^2 / 8 bytes (the caller caps the width).
    matches: dict[str, int] = {}
    for j, token in enumerate(columns):
        matches[token] = matches.get(token, 0) | (1 << j)
    full = (1 << width) - 1
    # Bit j of `row` is 0 where the LCS of the rows so far and columns[: j + 1] grows at column j.
    row = full
    for token in rows:
        match = matches.get(token)
        if match is None:
            continue  # a token absent from the other sequence cannot extend any common subsequence
        common = row & match
        row = ((row + common) | (row - common)) & full
    return width - row.bit_count()
