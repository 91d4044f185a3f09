"""Checks an exported graph against the PyTorch model it came from: logits on chat prompts and greedy tokens.

`OnnxDecoder` runs the graph the way transformers.js does (prefill with an empty past, then one token per step
feeding the presents back), so a pass here means the Node engine sees the same tokens as PyTorch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medqa_trainer.onnx_graph import LOGITS_TO_KEEP, input_names

# Measured max abs logit difference ORT vs PyTorch, fp32: about 1e-6 on the tiny Qwen3 and up to ~1e-4 on SmolLM2
# (logits of magnitude ~20); 1e-3 leaves an order of magnitude for other CPUs while catching a wrong graph,
# whose logits are off by whole units.
LOGIT_TOLERANCE = 1e-3

DEFAULT_QUESTIONS = (
    "What is (are) Glaucoma ?",
    "What are the symptoms of Gout ?",
    "How to prevent High Blood Pressure ?",
)


class ValidationFailedError(RuntimeError):
    """The graph disagrees with PyTorch beyond the tolerance or in greedy tokens."""


@dataclass
class Timed:
    tokens: list[int]
    first_token_seconds: float
    total_seconds: float


class OnnxDecoder:
    """A decoder-with-past ONNX graph on onnxruntime (CPU), fed exactly as the contract says."""

    def __init__(self, onnx_path: Path, threads: int | None = None, options: Any = None) -> None:
        """`options`: onnxruntime SessionOptions to use as given (evaluate's engine tunes its own); else defaults
        with `threads` intra-op threads. Raises ValueError for a graph without the contract's inputs."""
        import onnxruntime as ort

        if options is None:
            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        given = {i.name for i in self.session.get_inputs()}
        past = [i for i in self.session.get_inputs() if i.name.startswith("past_key_values.")]
        if not past or not {"input_ids", "attention_mask", "position_ids"} <= given:
            raise ValueError(f"{onnx_path} is not a decoder-with-past graph (inputs {sorted(given)})")
        self.layers = len(past) // 2
        self.kv_heads, self.head_dim = int(past[0].shape[1]), int(past[0].shape[3])
        # Exports made before num_logits_to_keep joined the contract return every position's logits.
        self.keeps_logits = LOGITS_TO_KEEP in given
        self.names = [name for name in input_names(self.layers) if name in given]

    def empty_past(self, batch: int = 1) -> list[np.ndarray]:
        return [
            np.zeros((batch, self.kv_heads, 0, self.head_dim), np.float32) for _ in range(2 * self.layers)
        ]

    def step(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        position_ids: np.ndarray,
        past: list[np.ndarray],
        logits_to_keep: int = 0,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Logits of the last `logits_to_keep` positions (0: every position; a graph without the input gives every
        position whatever is asked) and the grown cache."""
        keep = [np.array(logits_to_keep, np.int64)] if self.keeps_logits else []
        values = [input_ids, attention_mask, position_ids, *keep, *past]
        feeds = dict(zip(self.names, values, strict=True))
        logits, *presents = self.session.run(None, feeds)
        return logits, presents

    def greedy(self, prompt: Sequence[int], max_new_tokens: int, stop: set[int]) -> Timed:
        """Greedy tokens after `prompt`, up to and including the first stop token."""
        started = time.perf_counter()
        ids = np.array([list(prompt)], dtype=np.int64)
        positions = np.arange(ids.shape[1], dtype=np.int64)[None]
        logits, past = self.step(ids, np.ones_like(ids), positions, self.empty_past(), logits_to_keep=1)
        first = 0.0
        tokens: list[int] = []
        total = ids.shape[1]
        while True:
            token = int(logits[0, -1].argmax())
            tokens.append(token)
            if len(tokens) == 1:
                first = time.perf_counter() - started
            if token in stop or len(tokens) >= max_new_tokens:
                break
            total += 1
            logits, past = self.step(
                np.array([[token]], np.int64),
                np.ones((1, total), np.int64),
                np.array([[total - 1]], np.int64),
                past,
                logits_to_keep=1,
            )
        return Timed(tokens, first, time.perf_counter() - started)


def torch_greedy(
    model: Any, prompt: Sequence[int], max_new_tokens: int, stop: set[int], pad_id: int
) -> list[int]:
    """PyTorch `generate` (greedy, KV cache), cut after the first stop token as `OnnxDecoder.greedy` is."""
    ids = torch.tensor([list(prompt)], dtype=torch.long)
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            num_beams=1,
            eos_token_id=sorted(stop),
            pad_token_id=pad_id,
            temperature=None,
            top_p=None,
            top_k=None,
        )
    new = [int(t) for t in out[0, ids.shape[1] :]]
    end = next((i for i, token in enumerate(new) if token in stop), None)
    return new if end is None else new[: end + 1]


def logit_difference(model: Any, decoder: OnnxDecoder, prompt: Sequence[int]) -> float:
    """Max abs logit difference on the prefill (empty past) and on one cached step after it."""
    ids = torch.tensor([list(prompt)], dtype=torch.long)
    with torch.inference_mode():
        reference = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0].float().numpy()
    head, last = ids[:, :-1].numpy(), ids[:, -1:].numpy()
    prefill, past = decoder.step(
        head, np.ones_like(head), np.arange(head.shape[1], dtype=np.int64)[None], decoder.empty_past()
    )
    cached, _ = decoder.step(last, np.ones_like(ids.numpy()), np.array([[head.shape[1]]], np.int64), past)
    return float(max(np.abs(prefill[0] - reference[:-1]).max(), np.abs(cached[0, -1] - reference[-1]).max()))


@dataclass
class ValidationReport:
    prompts: int = 0
    max_new_tokens: int = 0
    max_abs_logit_diff: float = 0.0
    tolerance: float = LOGIT_TOLERANCE
    greedy_identical: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.max_abs_logit_diff <= self.tolerance and self.greedy_identical == self.prompts

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "prompts": self.prompts,
            "max_new_tokens": self.max_new_tokens,
            "max_abs_logit_diff": self.max_abs_logit_diff,
            "tolerance": self.tolerance,
            "greedy_identical": self.greedy_identical,
            "greedy_mismatches": self.mismatches[:5],
            "runtime": "onnxruntime (Python, CPUExecutionProvider)",
            "seconds": round(self.seconds, 1),
        }

    def failure(self) -> str:
        parts = []
        if self.max_abs_logit_diff > self.tolerance:
            parts.append(
                f"max abs logit difference {self.max_abs_logit_diff:.3g} > tolerance {self.tolerance:g}"
            )
        if self.greedy_identical != self.prompts:
            first = self.mismatches[0] if self.mismatches else {}
            parts.append(
                f"greedy tokens differ on {self.prompts - self.greedy_identical} of {self.prompts} prompts "
                f"(first: {first.get('question')!r} at token {first.get('first_difference')})"
            )
        return "; ".join(parts)


def validate(
    model: Any,
    tokenizer: Any,
    onnx_path: Path,
    questions: Sequence[str],
    max_new_tokens: int,
    tolerance: float = LOGIT_TOLERANCE,
    say: Any = None,
) -> ValidationReport:
    from medqa_trainer.generation import Decoding, render_prompt, stop_ids

    started = time.monotonic()
    decoder = OnnxDecoder(onnx_path)
    stop = set(stop_ids(tokenizer, model))
    pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)
    report = ValidationReport(prompts=len(questions), max_new_tokens=max_new_tokens, tolerance=tolerance)
    for index, question in enumerate(questions, start=1):
        prompt = render_prompt(tokenizer, [{"role": "user", "content": question}], Decoding())
        report.max_abs_logit_diff = max(report.max_abs_logit_diff, logit_difference(model, decoder, prompt))
        onnx_tokens = decoder.greedy(prompt, max_new_tokens, stop).tokens
        torch_tokens = torch_greedy(model, prompt, max_new_tokens, stop, pad_id)
        if onnx_tokens == torch_tokens:
            report.greedy_identical += 1
        else:
            first = next(
                (i for i, (a, b) in enumerate(zip(onnx_tokens, torch_tokens, strict=False)) if a != b), None
            )
            report.mismatches.append(
                {
                    "question": question,
                    "first_difference": first
                    if first is not None
                    else min(len(onnx_tokens), len(torch_tokens)),
                    "onnx": onnx_tokens,
                    "torch": torch_tokens,
                }
            )
        if say is not None and index == 1 and len(questions) > 1:
            left = (time.monotonic() - started) * (len(questions) - 1)
            say(f"validated 1/{len(questions)} prompts; about {left:.0f} s for the rest")
        elif say is not None and (index % 5 == 0 or index == len(questions)):
            say(
                f"validated {index}/{len(questions)} prompts (max abs logit diff so far {report.max_abs_logit_diff:.2e})"
            )
    report.seconds = time.monotonic() - started
    return report
