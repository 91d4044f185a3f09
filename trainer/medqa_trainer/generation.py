"""Model side of `evaluate`: loading, batched left-padded generation and answer-only losses.

Kept apart from the command so the benchmark (bench/eval_generation.py) times exactly the code `evaluate` runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from medqa_trainer.catalog import looks_like_path, prepare_model_reference
from medqa_trainer.templates import template_options

MAX_LOSS_TOKENS_PER_PASS = (
    8192  # rows x width per teacher-forced pass: bounds attention memory on long answers
)
LM_HEAD_CHUNK = 1024  # answer positions per lm_head call: a full [tokens x 151k] logits matrix would not fit


@dataclass(frozen=True)
class Decoding:
    """Everything that changes which text is generated; hashed into each prediction row."""

    max_new_tokens: int = 256
    do_sample: bool = False
    num_beams: int = 1
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float = 1.0
    seed: int | None = None
    chat_template: bool = True
    enable_thinking: bool = False
    # Retrieval settings (index data hash, k, context budget) when prompts carry sources; None for closed book.
    retrieval: str | None = None
    # The engine when not PyTorch ("onnx:fp32", "onnx:int8", ...): quantised weights change the text.
    engine: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # Closed-book PyTorch decodings hash as they did before retrieval and engines existed: grades stay current.
        return {k: v for k, v in asdict(self).items() if not (k in ("retrieval", "engine") and v is None)}

    def hash(self) -> str:
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass
class Generated:
    text: str
    new_tokens: int
    truncated: bool  # stopped by max_new_tokens, not by an end-of-turn token


def pick_device_and_dtype(dtype: str = "auto") -> tuple[torch.device, torch.dtype]:
    """fp32 on CPU (bf16 is unusably slow on CPUs without AMX); bf16 on CUDA where supported."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        auto = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        device = torch.device("cpu")
        auto = torch.float32
    chosen = auto if dtype == "auto" else getattr(torch, dtype)
    return device, chosen


def check_sources(model_name: str, adapter: str | None) -> None:
    """Fail fast (before loading torch weights) on folders that do not exist, instead of a hub lookup error."""
    if looks_like_path(model_name) and not Path(model_name).expanduser().is_dir():
        raise FileNotFoundError(f"model folder {model_name} does not exist (give a local folder or a hub id)")
    if adapter is not None and not (Path(adapter).expanduser() / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{adapter} is not a peft adapter folder (no adapter_config.json)")


def load_model_and_tokenizer(
    model_name: str, adapter: str | None, device: torch.device, dtype: torch.dtype, nf4: bool = False
) -> tuple[Any, Any]:
    """A local folder loads with local_files_only (no hub lookups); anything else is treated as a hub id.
    `nf4`: the base in 4-bit NF4 (bitsandbytes), computing in `dtype`, as a QLoRA adapter was trained."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    check_sources(model_name, adapter)
    model_name = prepare_model_reference(model_name)
    local = Path(model_name).is_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_name, local_files_only=local)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if nf4:
        from medqa_trainer.modeling import nf4_load_arguments

        weights = nf4_load_arguments(dtype, device.type == "cuda")
    else:
        weights = {"dtype": dtype}
    model: Any = AutoModelForCausalLM.from_pretrained(model_name, local_files_only=local, **weights)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter, is_trainable=False)
    if not nf4:  # a 4-bit model is placed by its device_map (bitsandbytes refuses .to())
        model.to(device)
    model.eval()
    return model, tokenizer


def render_prompt(tokenizer: Any, messages: Sequence[dict[str, str]], decoding: Decoding) -> list[int]:
    """Prompt token ids: the chat template with the generation prompt (Qwen3 thinking off by default)."""
    if decoding.chat_template:
        text = tokenizer.apply_chat_template(
            list(messages),
            tokenize=False,
            add_generation_prompt=True,
            **template_options(tokenizer, decoding.enable_thinking),
        )
    else:
        text = "\n\n".join(m["content"] for m in messages)
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def stop_ids(tokenizer: Any, model: Any) -> list[int]:
    """Token ids that end an answer: the tokenizer's eos plus the model's configured eos ids."""
    ids = {int(tokenizer.eos_token_id)}
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, list):
        ids.update(int(i) for i in configured)
    return sorted(ids)


def _pad(rows: Sequence[Sequence[int]], pad_id: int, *, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        span = slice(width - len(row), width) if left else slice(0, len(row))
        ids[i, span] = torch.tensor(row, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


class _CancelCheck:
    """Stops `generate` for the whole batch as soon as the cancel event is set (SIGTERM)."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return torch.full(
            (input_ids.shape[0],), self.cancel.is_set(), dtype=torch.bool, device=input_ids.device
        )


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    decoding: Decoding,
    cancel: threading.Event | None = None,
) -> list[Generated] | None:
    """Greedy (or configured) generation for a batch of prompts, left padded.

    The answer is decoded from the NEW token ids only (everything after the padded prompt width), cut at the
    first stop token: never from decoded text split on a marker. Returns None when cancelled mid-batch
    (partial answers would be scored as if complete).
    """
    from transformers import GenerationConfig, StoppingCriteriaList

    device = next(model.parameters()).device
    input_ids, attention_mask = _pad(prompts, int(tokenizer.pad_token_id), left=True)
    eos = stop_ids(tokenizer, model)
    config = GenerationConfig(  # type: ignore[no-untyped-call]
        max_new_tokens=decoding.max_new_tokens,
        do_sample=decoding.do_sample,
        num_beams=decoding.num_beams,
        temperature=decoding.temperature if decoding.do_sample else None,
        top_p=decoding.top_p if decoding.do_sample else None,
        top_k=decoding.top_k if decoding.do_sample else None,
        repetition_penalty=decoding.repetition_penalty,
        pad_token_id=int(tokenizer.pad_token_id),
        eos_token_id=eos,
    )
    criteria = StoppingCriteriaList([_CancelCheck(cancel)]) if cancel is not None else None
    with torch.inference_mode():
        output = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            generation_config=config,
            stopping_criteria=criteria,
        )
    if cancel is not None and cancel.is_set():
        return None
    new_ids = output[:, input_ids.shape[1] :].tolist()
    results = []
    stop = set(eos)
    for row in new_ids:
        end = next((i for i, token in enumerate(row) if token in stop), None)
        answer = row if end is None else row[:end]
        truncated = end is None and len(row) >= decoding.max_new_tokens
        text = tokenizer.decode(answer, skip_special_tokens=True).strip()
        results.append(Generated(text=text, new_tokens=len(answer), truncated=truncated))
    return results


def answer_ids(tokenizer: Any, reference: str) -> list[int]:
    """Target ids of the FULL reference answer plus the end-of-turn token, as the chat template ends the turn."""
    ids: list[int] = tokenizer(reference, add_special_tokens=False)["input_ids"]
    return [*ids, int(tokenizer.eos_token_id)]


def answer_losses(
    model: Any, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]], pad_id: int
) -> list[tuple[float, int]]:
    """(summed NLL, token count) of each answer given its prompt: loss on answer tokens only, padding masked."""
    results: list[tuple[float, int]] = []
    start = 0
    while start < len(prompts):
        # Grow the pass while rows x width stays under the budget (one row always fits).
        end = start + 1
        width = len(prompts[start]) + len(answers[start])
        while end < len(prompts):
            width_next = max(width, len(prompts[end]) + len(answers[end]))
            if (end - start + 1) * width_next > MAX_LOSS_TOKENS_PER_PASS:
                break
            width, end = width_next, end + 1
        results.extend(_answer_losses_pass(model, prompts[start:end], answers[start:end], pad_id))
        start = end
    return results


def _answer_losses_pass(
    model: Any, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]], pad_id: int
) -> list[tuple[float, int]]:
    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model  # peft wraps in place
    device = next(causal_lm.parameters()).device
    sequences = [[*p, *a] for p, a in zip(prompts, answers, strict=True)]
    input_ids, attention_mask = _pad(
        sequences, pad_id, left=False
    )  # right padding: positions need no shifting
    with torch.inference_mode():
        hidden = causal_lm.get_decoder()(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)
        ).last_hidden_state
        # Position t predicts token t+1, so answer token j (at len(prompt)+j) is predicted at len(prompt)+j-1.
        rows = [
            hidden[i, len(p) - 1 : len(p) + len(a) - 1]
            for i, (p, a) in enumerate(zip(prompts, answers, strict=True))
        ]
        targets = torch.tensor([t for a in answers for t in a], dtype=torch.long, device=device)
        states = torch.cat(rows)
        head = causal_lm.get_output_embeddings()
        losses = torch.cat(
            [
                torch.nn.functional.cross_entropy(
                    head(states[i : i + LM_HEAD_CHUNK]).float(),
                    targets[i : i + LM_HEAD_CHUNK],
                    reduction="none",
                )
                for i in range(0, len(targets), LM_HEAD_CHUNK)
            ]
        )
    out = []
    offset = 0
    for a in answers:
        out.append((float(losses[offset : offset + len(a)].sum()), len(a)))
        offset += len(a)
    return out
