"""The export's grouped-query attention: transformers' eager attention to the float, without repeating the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from medqa_trainer.onnx_attention import EXPORT_ATTENTION, exporting_attention, grouped_query_attention


def padded_causal_mask(padding: list[int], length: int, total: int) -> torch.Tensor:
    """Additive [B, 1, L, T] mask as eager's: each row's left padding and the future are -inf-like."""
    minimum = torch.finfo(torch.float32).min
    rows = []
    for pad in padding:
        allowed = torch.ones(length, total, dtype=torch.bool).tril(total - length)
        allowed[:, :pad] = False
        rows.append(torch.where(allowed, 0.0, minimum))
    return torch.stack(rows)[:, None]


@pytest.mark.parametrize(
    ("heads", "kv_heads", "length", "past"),
    [(9, 3, 1, 40), (9, 3, 6, 0), (8, 2, 4, 7), (4, 4, 3, 5), (16, 8, 1, 1)],
)
def test_equals_eager_attention(heads: int, kv_heads: int, length: int, past: int) -> None:
    from transformers.models.llama.modeling_llama import eager_attention_forward

    generator = torch.Generator().manual_seed(heads * 100 + length)
    batch, dim, total = 3, 16, past + length
    query = torch.randn(batch, heads, length, dim, generator=generator)
    key = torch.randn(batch, kv_heads, total, dim, generator=generator)
    value = torch.randn(batch, kv_heads, total, dim, generator=generator)
    mask = padded_causal_mask([0, 2, total - 1], length, total)
    module = torch.nn.Module()
    module.num_key_value_groups = heads // kv_heads  # type: ignore[assignment]
    module.training = False
    expected, _ = eager_attention_forward(module, query, key, value, mask, scaling=dim**-0.5)
    got, weights = grouped_query_attention(module, query, key, value, mask, scaling=dim**-0.5)
    assert weights is None and got.shape == (batch, length, heads, dim)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)


def test_a_model_computes_it_only_while_exporting(tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    model: Any = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), attn_implementation="eager")
    model.eval()
    ids = torch.tensor([[5, 6, 7, 8, 9], [3, 4, 5, 6, 7]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    with torch.no_grad():
        eager = model(input_ids=ids, attention_mask=mask).logits
        with exporting_attention(model):
            assert model.config._attn_implementation == EXPORT_ATTENTION
            grouped = model(input_ids=ids, attention_mask=mask).logits
    assert model.config._attn_implementation == "eager"
    torch.testing.assert_close(grouped, eager, rtol=0, atol=1e-5)
