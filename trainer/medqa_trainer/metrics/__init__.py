"""Answer metrics for evaluation: per-example scores (text.py) and their aggregation with bootstrap CIs
(aggregate.py). `score`, `evaluate` and `compare` all build on these two modules."""

from medqa_trainer.metrics.aggregate import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    metric_names,
    paired_comparison,
    point_value,
    summarize,
    summarize_with_qtypes,
)
from medqa_trainer.metrics.text import (
    TEXT_METRICS,
    ScoredExamples,
    bleu_from_statistics,
    bleu_statistics,
    exact_match,
    meteor,
    normalize_answer,
    rouge_l,
    score_examples,
    token_f1,
)

__all__ = [
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "TEXT_METRICS",
    "ScoredExamples",
    "bleu_from_statistics",
    "bleu_statistics",
    "exact_match",
    "meteor",
    "metric_names",
    "normalize_answer",
    "paired_comparison",
    "point_value",
    "rouge_l",
    "score_examples",
    "summarize",
    "summarize_with_qtypes",
    "token_f1",
]
