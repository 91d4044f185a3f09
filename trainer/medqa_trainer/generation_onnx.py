"""`evaluate --engine onnx`: batched greedy generation and answer losses on an `export-onnx` folder.

The same graph the Playground runs (decoder-with-past, see onnx_graph.py), fed the way PyTorch's batched `generate`
is: prompts left padded, position ids counted from each row's first real token, the padding masked. Rows leave the
batch as soon as they end their turn, so a batch costs what its longest answers cost, not B times the longest.

Kept apart from generation.py (the PyTorch side) and from the onnx_* exporter modules: the test exports are cached by
a hash of onnx_*.py, which evaluation code must not invalidate.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medqa_trainer.generation import MAX_LOSS_TOKENS_PER_PASS, Decoding, Generated
from medqa_trainer.onnx_validate import OnnxDecoder

# As onnx_export.py writes it; not imported from there, which pulls in torch.onnx.
MANIFEST_NAME = "medqa-onnx.json"
DEFAULT_GRAPH = Path("onnx") / "model.onnx"
# Logits are [rows x width x vocab] fp32 for a prefill or a teacher-forced pass; this bounds one call's logits
# (Qwen3's 151k vocabulary x 300 tokens is 180 MB a row).
LOGIT_BYTES_PER_CALL = 256 * 1024 * 1024


class ExportFolderError(ValueError):
    """--export does not name a usable export-onnx folder; the message says what is missing and what to run."""


@dataclass(frozen=True)
class OnnxExport:
    """An export-onnx folder: its manifest, the graph file and the quantisation it records."""

    folder: Path
    manifest: dict[str, Any]
    graph: Path

    @classmethod
    def read(cls, folder: Path) -> OnnxExport:
        manifest_path = folder / MANIFEST_NAME
        hint = (
            "export one with: python -m medqa_trainer export-onnx --model MODEL [--adapter ADAPTER] --out DIR"
        )
        if not folder.is_dir():
            raise ExportFolderError(f"--export {folder} does not exist; {hint}")
        if not manifest_path.is_file():
            raise ExportFolderError(
                f"--export {folder} has no {MANIFEST_NAME}: not a complete export-onnx folder; {hint}"
            )
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ExportFolderError(f"{manifest_path} cannot be read: {error}; {hint}") from error
        if not isinstance(manifest, dict) or manifest.get("format") != "medqa-onnx-export":
            raise ExportFolderError(f"{manifest_path} is not an export-onnx manifest; {hint}")
        graph = folder / _graph_file(manifest)
        if not graph.is_file():
            raise ExportFolderError(f"{graph} is missing (the manifest names it); {hint}")
        return cls(folder, manifest, graph)

    @property
    def quantization(self) -> str:
        """'none' for the fp32 export, else the method the manifest records (int8, int4)."""
        return _quantization_name(self.manifest.get("quantization"))

    @property
    def model(self) -> str:
        model = self.manifest.get("model") or {}
        return str(model.get("resolved") or model.get("given") or "")

    @property
    def adapter(self) -> str | None:
        adapter = self.manifest.get("adapter")
        return str(adapter) if adapter else None


def _quantization_name(record: Any) -> str:
    if isinstance(record, str):
        return record or "none"
    if isinstance(record, dict):
        for key in ("scheme", "method"):
            if isinstance(record.get(key), str):
                return str(record[key])
    return "none"


def _graph_file(manifest: dict[str, Any]) -> Path:
    quantization = manifest.get("quantization")
    if isinstance(quantization, dict):
        for key in ("file", "path", "graph"):
            if isinstance(quantization.get(key), str):
                return Path(quantization[key])
    return DEFAULT_GRAPH


def default_threads() -> int:
    """One onnxruntime thread per core this process may use (`--threads` overrides it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


# Spinning pays while other processes keep less than this many cores busy.
SPIN_BELOW_OTHER_CORES = 0.5


def other_processes_busy_cores(sample_seconds: float = 0.2) -> float:
    """Cores kept busy by other processes over a short sample: all cores' busy time minus this process's own."""
    import psutil

    def busy(times: Any) -> float:
        # guest time is already counted in user time; iowait is idle time.
        fields = ("user", "nice", "system", "irq", "softirq", "steal")
        return sum(getattr(times, field, 0.0) for field in fields)

    me = psutil.Process()
    before, own_before, started = busy(psutil.cpu_times()), me.cpu_times(), time.monotonic()
    time.sleep(sample_seconds)
    after, own_after = busy(psutil.cpu_times()), me.cpu_times()
    elapsed = time.monotonic() - started
    own = float((own_after.user + own_after.system) - (own_before.user + own_before.system))
    return max(0.0, after - before - own) / elapsed


def spinning_pays(other_busy_cores: float) -> bool:
    return other_busy_cores < SPIN_BELOW_OTHER_CORES


class OnnxGenerator:
    """Batched greedy decoding and teacher-forced answer losses on one export's graph."""

    def __init__(self, export: OnnxExport, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.export = export
        self.threads = threads or default_threads()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Threads spin-wait for work only when no other process is busy (the Playground's rule,
        # src/inference/sessionOptions.ts). Measured: idle, 16 SmolLM2 answers x 64 tokens in batches of 8, fp32
        # spinning 6.2 s against 7.5 s sleeping (int8 4.8 / 6.0); 2 shared cores at load 8-15, 6 answers x 32
        # tokens, 2 spinning threads 7.5 s, 2 sleeping 4.7 s, 1 thread 4.0 s.
        self.spinning = spinning_pays(other_processes_busy_cores())
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            # The one onnxruntime decoder (session, feeds, empty cache) that export validation also runs.
            self.decoder = OnnxDecoder(export.graph, options=options)
        except ValueError as error:
            raise ExportFolderError(f"{error}; export it again with export-onnx") from error
        self.session = self.decoder.session
        vocab = self.session.get_outputs()[0].shape[2]
        self.vocab = vocab if isinstance(vocab, int) else 0

    def run(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        position_ids: np.ndarray,
        past: list[np.ndarray],
        logits_to_keep: int = 0,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.decoder.step(input_ids, attention_mask, position_ids, past, logits_to_keep)

    def empty_past(self, rows: int) -> list[np.ndarray]:
        return self.decoder.empty_past(rows)

    def _rows_per_call(self, width: int, kept: int) -> int:
        """Rows one call may take: at most MAX_LOSS_TOKENS_PER_PASS tokens (attention memory grows with rows x
        width^2), and logits of `kept` positions a row within the budget (one row always goes)."""
        vocab = self.vocab or 262_144  # unknown vocabulary: assume a large one
        return max(1, min(MAX_LOSS_TOKENS_PER_PASS // width, LOGIT_BYTES_PER_CALL // (kept * vocab * 4)))

    def _kept_positions(self, width: int, longest_answer: int) -> int:
        """Logit rows a left-padded call needs: the longest answer's predictions and the last position (which
        predicts nothing), or every position where the graph cannot keep fewer."""
        return longest_answer + 1 if self.decoder.keeps_logits else width

    def _prefill(
        self, ids: np.ndarray, mask: np.ndarray, positions: np.ndarray
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Last-position logits and the cache of a padded batch, in row chunks a call may take (RAG prompts of 32
        rows run ~20k tokens)."""
        step = self._rows_per_call(ids.shape[1], self._kept_positions(ids.shape[1], 0))
        last: list[np.ndarray] = []
        caches: list[list[np.ndarray]] = []
        for start in range(0, ids.shape[0], step):
            rows = slice(start, start + step)
            logits, presents = self.run(
                ids[rows], mask[rows], positions[rows], self.empty_past(len(ids[rows])), logits_to_keep=1
            )
            last.append(logits[:, -1])
            caches.append(presents)
        if len(caches) == 1:
            return last[0], caches[0]
        return np.concatenate(last), [np.concatenate(parts) for parts in zip(*caches, strict=True)]

    def generate_batch(
        self,
        prompts: Sequence[Sequence[int]],
        decoding: Decoding,
        stop: Sequence[int],
        pad_id: int,
        cancel: threading.Event | None = None,
    ) -> list[list[int]] | None:
        """New token ids per prompt (greedy), without the stop token; None when cancelled mid-batch."""
        ids, mask = left_pad(prompts, pad_id)
        # As transformers' generate: positions count real tokens, padding gets a dummy position it never attends to.
        positions = np.where(mask == 1, mask.cumsum(-1) - 1, 1).astype(np.int64)
        logits, past = self._prefill(ids, mask, positions)
        penalty = decoding.repetition_penalty
        # Which ids each row has seen (its padded prompt, then its answer): the ones the repetition penalty scales.
        seen = np.zeros((len(prompts), logits.shape[-1]), bool) if penalty != 1.0 else None
        if seen is not None:
            np.put_along_axis(seen, ids, True, axis=1)
        stop_set = set(stop)
        answers: list[list[int]] = [[] for _ in prompts]
        active = np.arange(len(prompts))  # the rows still generating, in batch order
        next_position = positions[:, -1] + 1
        for produced in range(1, decoding.max_new_tokens + 1):
            if seen is not None:
                logits = apply_repetition_penalty(logits, seen, penalty)
            tokens = logits.argmax(-1)
            if seen is not None:
                seen[np.arange(len(tokens)), tokens] = True
            keep = []
            for slot, (row, token) in enumerate(zip(active.tolist(), tokens.tolist(), strict=True)):
                if token in stop_set:
                    continue
                answers[row].append(int(token))
                keep.append(slot)
            if produced == decoding.max_new_tokens or not keep:
                break
            if cancel is not None and cancel.is_set():
                return None
            if len(keep) < len(active):  # rows that ended their turn leave the batch (and its cache)
                index = np.array(keep)
                active, mask, next_position = active[index], mask[index], next_position[index]
                past = [np.ascontiguousarray(tensor[index]) for tensor in past]
                tokens = tokens[index]
                seen = seen[index] if seen is not None else None
            mask = np.concatenate([mask, np.ones((len(active), 1), np.int64)], axis=1)
            logits, past = self.run(
                tokens[:, None].astype(np.int64), mask, next_position[:, None], past, logits_to_keep=1
            )
            logits = logits[:, -1]
            next_position = next_position + 1
        return answers

    def answer_losses(
        self, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]], pad_id: int
    ) -> list[tuple[float, int]]:
        """(summed NLL, token count) of each answer given its prompt, as generation.answer_losses computes it.

        Rows of similar length share a call (the caller sorts by prompt, but answers vary 10x), left padded so every
        row's answer ends the sequence and the graph computes logits only for the answer positions; the
        log-softmax runs in float32 (float64 over [tokens x vocab] took a quarter of the time). 32 SmolLM2 answers
        to MedQuAD questions (8,563 answer tokens), 2 cores: 30.8 s -> 22.8 s."""
        results: dict[int, tuple[float, int]] = {}
        by_length = sorted(range(len(prompts)), key=lambda i: -(len(prompts[i]) + len(answers[i])))
        start = 0
        while start < len(by_length):
            # Longest first, so the first row sets the width; grow the call while the longest answer still fits.
            width = len(prompts[by_length[start]]) + len(answers[by_length[start]])
            longest = len(answers[by_length[start]])
            end = start + 1
            while end < len(by_length):
                longer = max(longest, len(answers[by_length[end]]))
                if end - start + 1 > self._rows_per_call(width, self._kept_positions(width, longer)):
                    break
                longest, end = longer, end + 1
            rows = by_length[start:end]
            losses = self._losses_pass([prompts[i] for i in rows], [answers[i] for i in rows], pad_id)
            results.update(zip(rows, losses, strict=True))
            start = end
        return [results[i] for i in range(len(prompts))]

    def _losses_pass(
        self, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]], pad_id: int
    ) -> list[tuple[float, int]]:
        ids, mask = left_pad([[*p, *a] for p, a in zip(prompts, answers, strict=True)], pad_id)
        positions = np.where(mask == 1, mask.cumsum(-1) - 1, 1).astype(np.int64)  # as generate_batch's
        kept = self._kept_positions(ids.shape[1], max(len(a) for a in answers))
        logits, _ = self.run(ids, mask, positions, self.empty_past(len(prompts)), logits_to_keep=kept)
        logits = logits[:, -kept:]
        out = []
        for i, answer in enumerate(answers):
            # The last position predicts nothing; the len(answer) before it predict the answer's tokens.
            rows = logits[i, kept - len(answer) - 1 : kept - 1]
            # float32 as PyTorch's cross entropy; the per-token losses are summed in float64.
            top = rows.max(-1, keepdims=True)
            log_norm = np.log(np.exp(rows - top).sum(-1)) + top[:, 0]
            picked = rows[np.arange(len(answer)), np.asarray(answer)]
            out.append((float((log_norm - picked).astype(np.float64).sum()), len(answer)))
        return out


def apply_repetition_penalty(logits: np.ndarray, seen: np.ndarray, penalty: float) -> np.ndarray:
    """transformers' RepetitionPenaltyLogitsProcessor: seen ids' logits divided by the penalty (multiplied when
    negative), in float32 as there, so greedy picks the same token."""
    scaled = np.where(logits < 0, logits * np.float32(penalty), logits / np.float32(penalty))
    return np.where(seen, scaled, logits).astype(np.float32, copy=False)


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad_id, np.int64)
    mask = np.zeros((len(rows), width), np.int64)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :], mask[i, width - len(row) :] = row, 1
    return ids, mask


def to_generated(tokenizer: Any, answers: Sequence[Sequence[int]], max_new_tokens: int) -> list[Generated]:
    """Answers as generation.generate_batch returns them: text of the new ids, truncated when no stop came."""
    results = []
    for answer in answers:
        text = tokenizer.decode(list(answer), skip_special_tokens=True).strip()
        results.append(Generated(text=text, new_tokens=len(answer), truncated=len(answer) >= max_new_tokens))
    return results


class ExportStops:
    """What generation.stop_ids reads from a model (its generation_config), from the export's own file."""

    def __init__(self, folder: Path) -> None:
        from transformers import GenerationConfig

        path = folder / "generation_config.json"
        self.generation_config = (
            GenerationConfig.from_pretrained(str(folder)) if path.is_file() else GenerationConfig()  # type: ignore[no-untyped-call]
        )
