"""Chat JSONL export (contract #1) -> token ids and labels, and the batch collator.

Labels: -100 for every prompt token (system, user, the assistant header and the empty think block) and for
every padding position; the answer tokens including its closing `<|im_end|>` are labels, so the model learns to
stop. The Qwen3 tokenizer uses `<|im_end|>` as both eos and pad, so padding is masked BY POSITION (the
collator knows where it padded), never by comparing ids with pad_token_id.

The prompt is rendered exactly as generation renders it (`add_generation_prompt=True,
enable_thinking=False`), and the training text must start with it, so training and inference agree.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from medqa_trainer.presets import MAX_LENGTH_CAP, MAX_LENGTH_MULTIPLE, MAX_LENGTH_PERCENTILE
from medqa_trainer.templates import template_options

IGNORE_INDEX = -100
Message = dict[str, str]


class DataError(ValueError):
    """A dataset the trainer cannot use; the message names the file and line."""


def read_chat_jsonl(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist; export the dataset first (train.jsonl, validation.jsonl)")
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{number}: not valid JSON ({error.msg})") from error
            messages = record.get("messages") if isinstance(record, dict) else None
            if not isinstance(messages, list) or not messages:
                raise DataError(f"{path}:{number}: expected an object with a non-empty `messages` list")
            for message in messages:
                if not (
                    isinstance(message, dict)
                    and message.get("role") in ("system", "user", "assistant")
                    and isinstance(message.get("content"), str)
                ):
                    raise DataError(f"{path}:{number}: each message needs a role and a string content")
            if messages[-1]["role"] != "assistant" or not any(m["role"] == "user" for m in messages):
                raise DataError(
                    f"{path}:{number}: needs a user turn and must end with the assistant's answer"
                )
            records.append(record)
    if not records:
        raise DataError(f"{path} has no examples")
    return records


def with_system_prompt(messages: Sequence[Message], system_prompt: str | None) -> list[Message]:
    """None keeps the export's messages; a string replaces any system turn ('' removes it)."""
    if system_prompt is None:
        return [dict(m) for m in messages]
    rest = [dict(m) for m in messages if m["role"] != "system"]
    return ([{"role": "system", "content": system_prompt}] if system_prompt else []) + rest


def render_prompt(tokenizer: Any, messages: Sequence[Message]) -> str:
    """The text a model sees before it writes its answer (what generation uses; no thinking)."""
    text: str = tokenizer.apply_chat_template(
        list(messages), tokenize=False, add_generation_prompt=True, **template_options(tokenizer)
    )
    return text


def render_training_text(tokenizer: Any, messages: Sequence[Message]) -> tuple[str, int]:
    """(prompt + answer + closing <|im_end|>, index where the answer starts).

    The template's trailing newline after the final <|im_end|> is dropped: nothing is generated after the stop
    token, so there is nothing to learn there.
    """
    prompt = render_prompt(tokenizer, messages[:-1])
    full: str = tokenizer.apply_chat_template(list(messages), tokenize=False, **template_options(tokenizer))
    if not full.startswith(prompt):
        raise DataError(
            "the chat template renders the prompt differently for training and for generation; "
            "the tokenizer's template is not supported (the training text must start with the generation prompt, "
            "as ChatML templates such as Qwen's and SmolLM2's do)"
        )
    end_token = tokenizer.eos_token or "<|im_end|>"
    cut = full.rfind(end_token)
    if cut < len(prompt):
        raise DataError("the chat template did not close the assistant turn with the eos token")
    return full[: cut + len(end_token)], len(prompt)


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


def encode_records(
    tokenizer: Any, records: Sequence[dict[str, Any]], system_prompt: str | None
) -> list[Encoded]:
    """Untruncated ids and labels for each record (a token is a label when it ends inside the answer)."""
    texts: list[str] = []
    starts: list[int] = []
    for record in records:
        text, start = render_training_text(tokenizer, with_system_prompt(record["messages"], system_prompt))
        texts.append(text)
        starts.append(start)
    batch = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    encoded: list[Encoded] = []
    for ids, offsets, start in zip(batch["input_ids"], batch["offset_mapping"], starts, strict=True):
        labels = [tok if end > start else IGNORE_INDEX for tok, (_, end) in zip(ids, offsets, strict=True)]
        encoded.append(Encoded(list(ids), labels))
    return encoded


def choose_max_length(
    lengths: Sequence[int],
    percentile: float = MAX_LENGTH_PERCENTILE,
    multiple: int = MAX_LENGTH_MULTIPLE,
    cap: int = MAX_LENGTH_CAP,
) -> int:
    """The percentile of the lengths, rounded up to a multiple (friendly to kernels), at most `cap`."""
    if not lengths:
        raise DataError("no examples to measure")
    ordered = sorted(lengths)
    rank = max(0, math.ceil(percentile / 100 * len(ordered)) - 1)
    value = ordered[rank]
    return min(cap, max(multiple, math.ceil(value / multiple) * multiple))


@dataclass
class TruncationStats:
    total: int = 0
    truncated: int = 0
    dropped: int = 0  # the prompt alone filled the window: no answer token left to learn from
    tokens: int = 0
    label_tokens: int = 0
    dropped_ids: list[str] = field(default_factory=list)


def truncate(
    encoded: Sequence[Encoded], max_length: int, ids: Sequence[str] | None = None
) -> tuple[list[Encoded], TruncationStats]:
    stats = TruncationStats(total=len(encoded))
    kept: list[Encoded] = []
    for index, example in enumerate(encoded):
        if len(example) > max_length:
            stats.truncated += 1
            example = Encoded(example.input_ids[:max_length], example.labels[:max_length])
        if all(label == IGNORE_INDEX for label in example.labels):
            stats.dropped += 1
            if ids is not None:
                stats.dropped_ids.append(ids[index])
            continue
        stats.tokens += len(example)
        stats.label_tokens += sum(1 for label in example.labels if label != IGNORE_INDEX)
        kept.append(example)
    return kept, stats


class ChatDataset(torch.utils.data.Dataset[dict[str, list[int]]]):
    """Examples as dicts; `input_ids` lengths drive the length-grouped sampler."""

    def __init__(self, examples: Sequence[Encoded]) -> None:
        self.examples = list(examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        example = self.examples[index]
        return {"input_ids": example.input_ids, "labels": example.labels}


@dataclass
class ChatCollator:
    """Pads a batch and masks padding by position.

    padding='max_length' pads every row to max_length (the reference recipe); 'longest' pads to the batch's
    longest row. packing=True concatenates the batch into one row with restarting position_ids and no padding
    (transformers then keeps the sequences apart in attention).
    """

    pad_token_id: int
    padding: str = "longest"
    max_length: int | None = None
    packing: bool = False

    def __call__(self, features: Sequence[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        if self.packing:
            return self._pack(features)
        width = max(len(f["input_ids"]) for f in features)
        if self.padding == "max_length" and self.max_length is not None:
            width = max(width, self.max_length)
        input_ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
        attention_mask = torch.zeros((len(features), width), dtype=torch.long)
        for row, feature in enumerate(features):
            n = len(feature["input_ids"])
            input_ids[row, :n] = torch.tensor(feature["input_ids"], dtype=torch.long)
            labels[row, :n] = torch.tensor(feature["labels"], dtype=torch.long)
            attention_mask[row, :n] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}

    def _pack(self, features: Sequence[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        ids: list[int] = []
        labels: list[int] = []
        positions: list[int] = []
        for feature in features:
            ids.extend(feature["input_ids"])
            # A sequence's first token must not be learnt from the previous sequence's last one.
            labels.extend([IGNORE_INDEX, *feature["labels"][1:]])
            positions.extend(range(len(feature["input_ids"])))
        return {
            "input_ids": torch.tensor([ids], dtype=torch.long),
            "labels": torch.tensor([labels], dtype=torch.long),
            "position_ids": torch.tensor([positions], dtype=torch.long),
        }


def real_token_count(batch: dict[str, torch.Tensor]) -> int:
    """Non-padding tokens in a collated batch (packed batches have no padding)."""
    mask = batch.get("attention_mask")
    return int(mask.sum().item()) if mask is not None else int(batch["input_ids"].numel())


def find_manifest(train_file: str, dataset_manifest: str | None) -> Path | None:
    if dataset_manifest:
        path = Path(dataset_manifest)
        path = path / "manifest.json" if path.is_dir() else path
        if not path.is_file():
            raise DataError(f"dataset_manifest {path} does not exist")
        return path
    candidate = Path(train_file).parent / "manifest.json"
    return candidate if candidate.is_file() else None


def manifest_hash(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
