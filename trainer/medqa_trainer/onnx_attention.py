"""The attention the exported graph computes: grouped-query attention without copying the cache per head.

transformers' eager attention repeats each key/value head for every query head that shares it (`repeat_kv`), which
the graph runs as an Expand that copies the whole cache twice per layer and step. Here the query heads that share a
key/value head are stacked along the sequence axis instead, so each shared head is read in place: the same sums in
the same order (SmolLM2's logits equal eager's exactly in PyTorch). Measured on SmolLM2 fp32, onnxruntime, 2 cores,
one decoding step with 150 cached tokens: batch 8, 75 -> 61 ms; batch 32, 153 -> 99 ms.

Registered under its own name for the export only; the masks are eager's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

EXPORT_ATTENTION = "medqa_grouped_query"


def grouped_query_attention(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **_: Any,
) -> tuple[torch.Tensor, None]:
    """transformers' attention-function signature: query [B, heads, L, D], key/value [B, kv_heads, T, D], an additive
    mask [B, 1, L, T]; returns [B, L, heads, D]. Query head h reads key/value head h // (heads / kv_heads), as
    repeat_kv pairs them."""
    batch, heads, length, dim = query.shape
    kv_heads, total = key.shape[1], key.shape[2]
    groups = heads // kv_heads
    stacked = query.reshape(batch, kv_heads, groups * length, dim)
    scores = torch.matmul(stacked, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        by_group = scores.reshape(batch, kv_heads, groups, length, total) + attention_mask[:, :, None]
        scores = by_group.reshape(batch, kv_heads, groups * length, total)
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    output = torch.matmul(weights, value).reshape(batch, heads, length, dim)
    return output.transpose(1, 2).contiguous(), None


def register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(EXPORT_ATTENTION, grouped_query_attention)
    AttentionMaskInterface.register(EXPORT_ATTENTION, eager_mask)


@contextmanager
def exporting_attention(model: Any) -> Iterator[None]:
    """The model computes grouped_query_attention inside the block, and its own attention again after it."""
    register()
    previous = model.config._attn_implementation
    model.set_attn_implementation(EXPORT_ATTENTION)
    try:
        yield
    finally:
        model.set_attn_implementation(previous)
