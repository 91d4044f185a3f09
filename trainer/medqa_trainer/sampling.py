"""Seeded, stratified subsets: an evaluation `--limit`, the example's training and test slices.

Taking the first K rows of an export takes them from one collection (exports are in collection order), so a
limited evaluation would measure one source. Each stratum keeps its share of the K (largest remainders), rows
are drawn in a seeded order, and the chosen rows keep their file order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def stratified_sample(rows: Sequence[T], n: int, seed: int, stratum: Callable[[T], str]) -> list[T]:
    if n >= len(rows):
        return list(rows)
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_stratum[stratum(row)].append(index)
    quotas = {key: n * len(indexes) / len(rows) for key, indexes in by_stratum.items()}
    counts = {key: int(value) for key, value in quotas.items()}
    for key in sorted(quotas, key=lambda k: (-(quotas[k] - counts[k]), k))[: n - sum(counts.values())]:
        counts[key] += 1
    rng = random.Random(seed)
    chosen: list[int] = []
    for key in sorted(by_stratum):
        indexes = list(by_stratum[key])
        rng.shuffle(indexes)
        chosen.extend(indexes[: counts[key]])
    return [rows[i] for i in sorted(chosen)]
