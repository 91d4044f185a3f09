"""The ONNX graph of a causal LM in the decoder-with-past layout that transformers.js and optimum read.

Inputs `input_ids`, `attention_mask`, `position_ids`, `num_logits_to_keep` and `past_key_values.{i}.key|value`;
outputs `logits` and `present.{i}.key|value`. transformers 5 keeps the KV cache in a `DynamicCache` object, which no
exporter can take as a graph input, so `DecoderWithPast` takes flat tensors, builds the cache and returns flat
presents. `num_logits_to_keep` (transformers' `logits_to_keep`, the name transformers.js feeds): 0 gives the logits
of every input position, n those of the last n. Generation asks for 1: the output head over every prompt position
was a fifth of the time to the first token on SmolLM2 (int4, 40 prompt tokens: 80 -> 63 ms).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.jit._trace import TracerWarning

from medqa_trainer.onnx_attention import EXPORT_ATTENTION, exporting_attention

# Architectures exported and checked token for token against PyTorch by the tests (tiny Qwen3, SmolLM2 = llama).
SUPPORTED_MODEL_TYPES = ("qwen3", "llama")
OPSET = 17
# TorchScript is the default: 6x faster to export than dynamo on SmolLM2 (24 s vs 154 s on 2 cores) with the
# same logits; dynamo stays selectable with --exporter dynamo (needs onnxscript).
EXPORTERS = ("torchscript", "dynamo")
DYNAMO_OPSET = 18  # the lowest opset the dynamo exporter writes natively
# One protobuf file cannot exceed 2 GiB; larger models keep their weights in onnx/model.onnx_data.
SINGLE_FILE_LIMIT_BYTES = 1_800_000_000

BATCH, SEQUENCE, PAST, TOTAL = "batch", "sequence", "past_sequence", "past_sequence + sequence"
KEPT = "kept_positions"  # sequence, or num_logits_to_keep when it is > 0
LOGITS_TO_KEEP = "num_logits_to_keep"
CONTRACT_INPUTS = ("input_ids", "attention_mask", "position_ids", LOGITS_TO_KEEP)


class UnsupportedArchitectureError(ValueError):
    """The model's `model_type` has not been exported and checked; the message names it and the config file."""


@dataclass(frozen=True)
class DecoderShape:
    layers: int
    kv_heads: int
    head_dim: int
    vocab: int

    @classmethod
    def of(cls, config: Any) -> DecoderShape:
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
        return cls(int(config.num_hidden_layers), int(kv_heads), int(head_dim), int(config.vocab_size))


def check_supported(config: Any, where: str) -> None:
    model_type = getattr(config, "model_type", None)
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise UnsupportedArchitectureError(
            f"{where}: model_type {model_type!r} ({', '.join(getattr(config, 'architectures', None) or [])}) "
            f"is not supported by export-onnx; supported: {', '.join(SUPPORTED_MODEL_TYPES)}"
        )


def input_names(layers: int) -> list[str]:
    past = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    return [*CONTRACT_INPUTS, *past]


def output_names(layers: int) -> list[str]:
    return ["logits", *[f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]]


def dynamic_axes(layers: int) -> dict[str, dict[int, str]]:
    """Axis names per tensor, as written into the graph (the manifest records the same mapping)."""
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: BATCH, 1: SEQUENCE},
        "attention_mask": {0: BATCH, 1: TOTAL},
        "position_ids": {0: BATCH, 1: SEQUENCE},
        "logits": {0: BATCH, 1: KEPT},
    }
    for name in input_names(layers)[len(CONTRACT_INPUTS) :]:
        axes[name] = {0: BATCH, 2: PAST}
    for name in output_names(layers)[1:]:
        axes[name] = {0: BATCH, 2: TOTAL}
    return axes


def axes_summary() -> dict[str, dict[str, str]]:
    """The dynamic axes for the manifest, one entry per kind of tensor (`{i}` = every layer)."""
    cache = {"0": BATCH, "2": PAST}
    present = {"0": BATCH, "2": TOTAL}
    return {
        "input_ids": {"0": BATCH, "1": SEQUENCE},
        "attention_mask": {"0": BATCH, "1": TOTAL},
        "position_ids": {"0": BATCH, "1": SEQUENCE},
        "past_key_values.{i}.key": cache,
        "past_key_values.{i}.value": cache,
        LOGITS_TO_KEEP: {},
        "logits": {"0": BATCH, "1": KEPT},
        "present.{i}.key": present,
        "present.{i}.value": present,
    }


class DecoderWithPast(torch.nn.Module):
    """A causal LM with the cache as flat tensors, so the graph has one input and one output per key/value."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.layers = DecoderShape.of(model.config).layers

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        num_logits_to_keep: torch.Tensor,
        *past: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        from transformers import DynamicCache

        cache = DynamicCache(config=self.model.config)
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=kept_positions(input_ids, num_logits_to_keep),
        )
        presents: list[torch.Tensor] = []
        for layer in out.past_key_values.layers:
            presents += [layer.keys, layer.values]
        return (out.logits.float(), *presents)


def kept_positions(input_ids: torch.Tensor, num_logits_to_keep: torch.Tensor) -> torch.Tensor:
    """The positions whose logits the graph returns, as tensor ops so the exporter keeps them dynamic."""
    positions = torch.ones_like(input_ids[0]).cumsum(0) - 1  # 0 .. sequence - 1
    length = positions[-1:] + 1
    first = torch.where(num_logits_to_keep > 0, length - num_logits_to_keep, torch.zeros_like(length))
    # Tensor bounds keep the range dynamic in the traced graph; ints would be baked in as constants.
    kept: torch.Tensor = torch.arange(  # type: ignore[call-overload]
        first.clamp(min=0).squeeze(0), length.squeeze(0), device=input_ids.device
    )
    return kept


def example_inputs(
    shape: DecoderShape, batch: int = 2, past: int = 3, sequence: int = 4
) -> tuple[torch.Tensor, ...]:
    """Tracing inputs with every dynamic axis > 1, so no size gets baked into the graph as a constant."""
    input_ids = torch.randint(0, min(shape.vocab, 1000), (batch, sequence), dtype=torch.long)
    attention_mask = torch.ones(batch, past + sequence, dtype=torch.long)
    position_ids = torch.arange(past, past + sequence, dtype=torch.long).expand(batch, sequence).contiguous()
    # Neither 0 nor the sequence length, so the trace follows the general slicing path.
    num_logits_to_keep = torch.tensor(sequence - 1, dtype=torch.long)
    cache = [torch.randn(batch, shape.kv_heads, past, shape.head_dim) for _ in range(2 * shape.layers)]
    return (input_ids, attention_mask, position_ids, num_logits_to_keep, *cache)


def parameter_bytes(model: Any) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def export_decoder(model: Any, onnx_path: Path, exporter: str) -> dict[str, Any]:
    """Writes onnx/model.onnx (+ model.onnx_data when over the single-file limit); returns the export record."""
    shape = DecoderShape.of(model.config)
    wrapper = DecoderWithPast(model).eval()
    inputs = example_inputs(shape)
    external = parameter_bytes(model) > SINGLE_FILE_LIMIT_BYTES
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # The tracer warns about every Python branch on a shape (cache initialisation, mask padding); they hold for
    # inputs that follow the contract, which the validation then checks on real prompts. Kept out of the
    # extension's Output channel, where they would read as errors.
    with torch.no_grad(), warnings.catch_warnings(), exporting_attention(model):
        warnings.simplefilter("ignore", category=TracerWarning)
        warnings.filterwarnings("ignore", message=".*aten::index.*")
        warnings.filterwarnings("ignore", message=".*will not be used, since it shares the same shape.*")
        if exporter == "torchscript":
            opset = OPSET
            # No constant folding: folding writes the transposed tied output head as a second copy of the
            # embedding (652 MB instead of 539 MB for SmolLM2); onnxruntime folds the Transpose at load instead.
            torch.onnx.export(
                wrapper,
                inputs,
                str(onnx_path),
                input_names=input_names(shape.layers),
                output_names=output_names(shape.layers),
                dynamic_axes=dynamic_axes(shape.layers),  # type: ignore[arg-type]
                opset_version=opset,
                do_constant_folding=False,
                dynamo=False,
            )
        elif exporter == "dynamo":
            opset = DYNAMO_OPSET
            _export_dynamo(wrapper, inputs, onnx_path, shape, external)
        else:
            raise ValueError(f"unknown exporter {exporter!r}; choose one of {', '.join(EXPORTERS)}")
    seconds = time.monotonic() - started
    if exporter == "torchscript" and external:
        _move_weights_to_external_data(onnx_path)
    return {
        "exporter": f"torch.onnx ({exporter})",
        "opset": opset,
        "dtype": "fp32",
        "attention": EXPORT_ATTENTION,
        "external_data": external,
        "seconds": round(seconds, 1),
        "dynamic_axes": axes_summary(),
    }


def _export_dynamo(
    wrapper: Any, inputs: tuple[torch.Tensor, ...], onnx_path: Path, shape: DecoderShape, external: bool
) -> None:
    from torch.export import Dim

    batch, sequence, past = Dim(BATCH), Dim(SEQUENCE), Dim(PAST)
    dynamic_shapes = {
        "input_ids": {0: batch, 1: sequence},
        "attention_mask": {0: batch, 1: Dim.AUTO},  # past + sequence: a sum of two roots cannot be declared
        "position_ids": {0: batch, 1: sequence},
        "num_logits_to_keep": None,
        "past": tuple({0: batch, 2: past} for _ in range(2 * shape.layers)),
    }
    program = torch.onnx.export(
        wrapper,
        inputs,
        input_names=input_names(shape.layers),
        output_names=output_names(shape.layers),
        dynamic_shapes=dynamic_shapes,
        opset_version=DYNAMO_OPSET,
        dynamo=True,
        verbose=False,
    )
    assert program is not None
    program.save(str(onnx_path), external_data=external)
    # dynamo names derived axes itself (e.g. "s53"); give them the contract's names.
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    _name_axes(proto, shape)
    onnx.save(proto, str(onnx_path))


def _name_axes(proto: Any, shape: DecoderShape) -> None:
    axes = dynamic_axes(shape.layers)
    for value in [*proto.graph.input, *proto.graph.output]:
        for index, name in axes.get(value.name, {}).items():
            dim = value.type.tensor_type.shape.dim[index]
            dim.dim_param = name


def _move_weights_to_external_data(onnx_path: Path) -> None:
    import onnx

    proto = onnx.load(str(onnx_path))
    # The TorchScript exporter writes one file per tensor past 2 GiB; gather them into the one file
    # transformers.js looks for, then drop the per-tensor files.
    before = {p.name for p in onnx_path.parent.iterdir()}
    onnx.save(
        proto,
        str(onnx_path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=onnx_path.name + "_data",
        size_threshold=1024,
    )
    for name in before - {onnx_path.name, onnx_path.name + "_data"}:
        (onnx_path.parent / name).unlink()
