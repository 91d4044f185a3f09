"""Weight-only quantisation of a validated fp32 export with onnxruntime's own quantisers, and the check that the
quantised graph still answers like the fp32 one.

Both are `MatMulNBits`: the weights are stored in blocks of `--block-size` in 4 or 8 bits with one fp32 scale each;
when a node runs, onnxruntime quantises each activation row per block to int8 and multiplies in int8 (accuracy
level 4, see ACCURACY_LEVEL). int8 is not onnxruntime's dynamic quantisation (`quantize_dynamic`: 8-bit weights per
tensor and one activation scale per call), which on SmolLM2-135M picked the fp32 graph's token on 61.5 % of 3 x 32
positions, below 4-bit MatMulNBits' 68.8 %, against 95.8 % for 8-bit MatMulNBits (both with fp32 compute then), and
took 300 s to quantise against 58 s (2 loaded cores). Both quantise only MatMuls whose weight is a constant, and the
TorchScript exporter writes every linear layer as `MatMul(x, Transpose(W))` (no constant folding: see
onnx_graph.export_decoder), so the transposes of constant weights are folded first."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

QUANTIZE_CHOICES = ("none", "int8", "int4")
BITS = {"int8": 8, "int4": 4}
DEFAULT_BLOCK_SIZE = 32
# MatMulNBits computes in int8: each row of activations is quantised per block when the node runs, and onnxruntime's
# int8 kernels (VNNI / AMX where the CPU has them) do the products. Measured on SmolLM2-135M, 2 idle cores, 64 greedy
# tokens through onnxruntime-node (2026-12-06): int4 50 -> 60 tokens/s, int8 ~4 -> 49 (fp32 compute has no fast
# 8-bit kernel); token F1 on 100 MedQuAD questions against fp32 17.53: int8 17.93 (+0.40, CI -0.18..1.00), int4
# 15.07 (-2.46), the same drift as fp32 compute (int8 -0.02, int4 -2.54).
ACCURACY_LEVEL = 4
# Teacher-forced top-1 agreement with the fp32 graph on its own greedy answers. Measured on SmolLM2-135M (3 MedQuAD
# questions x 32 tokens): int8 0.96, int4 0.69; the random tiny Qwen3 0.97-1.0. Small samples swing (3 x 8 tokens gave
# int4 0.54). A broken quantisation (scrambled 4-bit blocks) agrees on almost none, so these fail it clearly.
MIN_AGREEMENT = {"int8": 0.8, "int4": 0.5}
DEFAULT_AGREEMENT_TOKENS = 32


class QuantizationError(RuntimeError):
    """The quantised graph disagrees with the fp32 one beyond the threshold."""


def fold_weight_transposes(model: Any) -> int:
    """Replaces `Transpose(W)` of a constant 2-D weight by the transposed constant, so the quantisers see
    `MatMul(x, W')` with W' an initializer. W itself stays when something else reads it (the tied embedding's
    Gather). Returns how many transposes were folded."""
    from onnx import numpy_helper

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    folded = 0
    for node in list(graph.node):
        if node.op_type != "Transpose" or node.input[0] not in initializers:
            continue
        perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), [1, 0])
        weight = numpy_helper.to_array(initializers[node.input[0]])
        if weight.ndim != 2 or perm != [1, 0]:
            continue
        graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(weight.T), node.output[0]))
        graph.node.remove(node)
        readers[node.input[0]] -= 1
        if readers[node.input[0]] == 0:
            graph.initializer.remove(initializers.pop(node.input[0]))
        folded += 1
    return folded


def quantize_graph(
    source: Path, target: Path, scheme: str, block_size: int, external_data: bool
) -> dict[str, Any]:
    """Writes the quantised graph of `source` (an fp32 onnx/model.onnx) to `target`; returns the manifest record."""
    import onnx
    import onnxruntime

    started = time.monotonic()
    model = onnx.load(str(source))
    folded = fold_weight_transposes(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    bits = BITS.get(scheme)
    if bits is None:
        raise ValueError(f"unknown quantisation {scheme!r}; choose one of {', '.join(QUANTIZE_CHOICES)}")
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(
        model, bits=bits, block_size=block_size, is_symmetric=True, accuracy_level=ACCURACY_LEVEL
    )
    quantizer.process()
    quantized = quantizer.model.model
    onnx.save(
        quantized,
        str(target),
        save_as_external_data=external_data,
        all_tensors_to_one_file=True,
        location=target.name + "_data",
    )
    quantized_nodes = [n.op_type for n in quantized.graph.node].count("MatMulNBits")
    if quantized_nodes == 0:
        raise QuantizationError(f"{source}: no MatMul with a constant weight was quantised ({scheme})")
    return {
        "scheme": scheme,
        "method": f"MatMulNBits ({bits}-bit weight blocks; activations in int8 blocks at run time)",
        "accuracy_level": ACCURACY_LEVEL,
        "bits": bits,
        "block_size": block_size,
        "symmetric": True,
        "quantizer": f"onnxruntime {onnxruntime.__version__}",
        "quantized_nodes": quantized_nodes,
        "folded_transposes": folded,
        "seconds": round(time.monotonic() - started, 1),
    }


@dataclass
class AgreementReport:
    """How the quantised graph follows the fp32 one on the fp32 graph's own greedy answers."""

    questions: int = 0
    max_new_tokens: int = 0
    min_agreement: float = 0.0
    tokens: int = 0
    agreeing: int = 0
    greedy_identical: int = 0
    prefix_lengths: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def agreement(self) -> float:
        return self.agreeing / self.tokens if self.tokens else 0.0

    @property
    def passed(self) -> bool:
        return self.tokens > 0 and self.agreement >= self.min_agreement

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "measure": "teacher-forced top-1 agreement with the fp32 graph on its own greedy answers",
            "questions": self.questions,
            "max_new_tokens": self.max_new_tokens,
            "tokens": self.tokens,
            "agreement": round(self.agreement, 4),
            "min_agreement": self.min_agreement,
            "greedy_identical": self.greedy_identical,
            "mean_identical_prefix": round(float(np.mean(self.prefix_lengths)), 2)
            if self.prefix_lengths
            else 0.0,
            "runtime": "onnxruntime (Python, CPUExecutionProvider)",
            "seconds": round(self.seconds, 1),
        }

    def failure(self) -> str:
        return (
            f"the quantised graph picks the fp32 graph's token on {self.agreement:.1%} of {self.tokens} tokens "
            f"({self.questions} questions x up to {self.max_new_tokens}), below the minimum {self.min_agreement:.0%}"
        )


def forced_argmax(decoder: Any, prompt: Sequence[int], answer: Sequence[int]) -> list[int]:
    """The graph's argmax at each answer position, fed the prompt and the given answer (one prefill)."""
    ids = np.array([[*prompt, *answer]], dtype=np.int64)
    positions = np.arange(ids.shape[1], dtype=np.int64)[None]
    logits, _ = decoder.step(ids, np.ones_like(ids), positions, decoder.empty_past())
    start = len(prompt) - 1
    return [int(t) for t in logits[0, start : start + len(answer)].argmax(-1)]


def measure_agreement(
    reference: Path,
    quantized: Path,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    stop: set[int],
    min_agreement: float,
    say: Any = None,
) -> AgreementReport:
    """Greedy answers of the fp32 graph; the quantised graph's greedy answers and its top-1 token at each position of
    the fp32 answer (teacher-forced, so one early difference does not count every later token as a miss)."""
    from medqa_trainer.onnx_validate import OnnxDecoder

    started = time.monotonic()
    fp32, quant = OnnxDecoder(reference), OnnxDecoder(quantized)
    report = AgreementReport(
        questions=len(prompts), max_new_tokens=max_new_tokens, min_agreement=min_agreement
    )
    for index, prompt in enumerate(prompts, start=1):
        expected = fp32.greedy(prompt, max_new_tokens, stop).tokens
        forced = forced_argmax(quant, prompt, expected)
        report.tokens += len(expected)
        report.agreeing += sum(a == b for a, b in zip(forced, expected, strict=True))
        own = quant.greedy(prompt, max_new_tokens, stop).tokens
        report.greedy_identical += own == expected
        report.prefix_lengths.append(
            next(
                (i for i, (a, b) in enumerate(zip(own, expected, strict=False)) if a != b),
                min(len(own), len(expected)),
            )
        )
        if say is not None and (index % 5 == 0 or index == len(prompts)):
            say(f"compared {index}/{len(prompts)} prompts (agreement so far {report.agreement:.1%})")
    report.seconds = time.monotonic() - started
    return report
