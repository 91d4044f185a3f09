from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from medqa_trainer.data import (
    IGNORE_INDEX,
    ChatCollator,
    DataError,
    Encoded,
    choose_max_length,
    encode_records,
    read_chat_jsonl,
    real_token_count,
    render_prompt,
    truncate,
    with_system_prompt,
)

FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"
ANSWER = "Gout is a form of arthritis.\n\nIt causes sudden pain."
MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is (are) Gout ?"},
    {"role": "assistant", "content": ANSWER},
]


@pytest.fixture(scope="module")
def tokenizer(tokenizer_dir: Path) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    assert tok.pad_token_id == tok.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>")
    return tok


def test_prompt_is_masked_and_answer_with_closing_im_end_is_learnt(tokenizer: Any) -> None:
    [example] = encode_records(tokenizer, [{"messages": MESSAGES}], None)
    first_label = next(i for i, label in enumerate(example.labels) if label != IGNORE_INDEX)
    prompt_ids, answer_ids = example.input_ids[:first_label], example.input_ids[first_label:]
    # The masked part is exactly what generation feeds the model (empty think block included) ...
    assert tokenizer.decode(prompt_ids) == render_prompt(tokenizer, MESSAGES[:-1])
    assert tokenizer.decode(prompt_ids).endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    generation_ids = tokenizer(render_prompt(tokenizer, MESSAGES[:-1]), add_special_tokens=False)["input_ids"]
    assert prompt_ids == generation_ids  # token for token what `evaluate` feeds the model
    # ... and every token after it is a label: the answer and its closing <|im_end|>, nothing more.
    assert example.labels[first_label:] == answer_ids
    assert tokenizer.decode(answer_ids) == ANSWER + "<|im_end|>"
    assert answer_ids[-1] == tokenizer.eos_token_id
    assert all(label == IGNORE_INDEX for label in example.labels[:first_label])


def test_ids_match_the_tokenized_chat_template(tokenizer: Any) -> None:
    [example] = encode_records(tokenizer, [{"messages": MESSAGES}], None)
    reference = tokenizer.apply_chat_template(MESSAGES, tokenize=True, enable_thinking=False)
    reference_ids = reference["input_ids"] if not isinstance(reference, list) else reference
    # The template ends with "<|im_end|>\n"; training stops at the stop token.
    assert example.input_ids == list(reference_ids)[: len(example.input_ids)]
    assert tokenizer.decode(list(reference_ids)[len(example.input_ids) :]) == "\n"


def test_system_prompt_override(tokenizer: Any) -> None:
    assert with_system_prompt(MESSAGES, None) == MESSAGES
    assert with_system_prompt(MESSAGES, "")[0]["role"] == "user"
    replaced = with_system_prompt(MESSAGES, "Answer as a nurse.")
    assert replaced[0] == {"role": "system", "content": "Answer as a nurse."} and len(replaced) == 3
    [example] = encode_records(tokenizer, [{"messages": MESSAGES}], "Answer as a nurse.")
    assert "Answer as a nurse." in tokenizer.decode(example.input_ids)


def test_padding_is_masked_by_position_although_pad_equals_eos(tokenizer: Any) -> None:
    short, long = encode_records(
        tokenizer,
        [{"messages": MESSAGES}, {"messages": [*MESSAGES[:2], {"role": "assistant", "content": ANSWER * 3}]}],
        None,
    )
    for padding, width in (("longest", len(long)), ("max_length", 256)):
        batch = ChatCollator(pad_token_id=tokenizer.pad_token_id, padding=padding, max_length=256)(
            [{"input_ids": e.input_ids, "labels": e.labels} for e in (short, long)]
        )
        assert batch["input_ids"].shape == (2, width)
        n = len(short)
        assert batch["labels"][0, :n].tolist() == short.labels
        assert batch["labels"][0, n - 1].item() == tokenizer.eos_token_id  # the answer's own <|im_end|>
        assert (batch["labels"][0, n:] == IGNORE_INDEX).all()  # padding, though its id is eos too
        assert (batch["input_ids"][0, n:] == tokenizer.eos_token_id).all()
        assert batch["attention_mask"][0].tolist() == [1] * n + [0] * (width - n)
        assert real_token_count(batch) == len(short) + len(long)


def test_loss_is_the_same_with_and_without_padding(tokenizer: Any, tiny_model_dir: Path) -> None:
    """Padding must not leak into the loss (the reference recipe's pad=eos without masking did)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    [example] = encode_records(tokenizer, [{"messages": MESSAGES}], None)
    feature = {"input_ids": example.input_ids, "labels": example.labels}
    alone = ChatCollator(pad_token_id=tokenizer.pad_token_id)([feature])
    padded = ChatCollator(pad_token_id=tokenizer.pad_token_id, padding="max_length", max_length=128)(
        [feature]
    )
    with torch.no_grad():
        loss_alone = model(**alone).loss.item()
        loss_padded = model(**padded).loss.item()
        unmasked = dict(padded, labels=padded["input_ids"].clone())
        loss_unmasked = model(**unmasked).loss.item()
    assert loss_padded == pytest.approx(loss_alone, abs=1e-5)
    assert (
        abs(loss_unmasked - loss_alone) > 1e-3
    )  # the check above can fail: counting padding changes the loss


def test_packed_rows_keep_sequences_apart(tokenizer: Any, tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32).eval()
    examples = encode_records(
        tokenizer,
        [{"messages": MESSAGES}, {"messages": [MESSAGES[1], {"role": "assistant", "content": "Short."}]}],
        None,
    )
    features = [{"input_ids": e.input_ids, "labels": e.labels} for e in examples]
    packed = ChatCollator(pad_token_id=tokenizer.pad_token_id, packing=True)(features)
    assert packed["input_ids"].shape == (1, sum(len(e) for e in examples)) and "attention_mask" not in packed
    n0 = len(examples[0])
    assert packed["position_ids"][0, n0].item() == 0
    assert packed["labels"][0, n0].item() == IGNORE_INDEX
    with torch.no_grad():
        packed_logits = model(
            input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False
        ).logits
        second_alone = model(input_ids=torch.tensor([examples[1].input_ids])).logits
    torch.testing.assert_close(packed_logits[:, n0:], second_alone, atol=1e-4, rtol=1e-4)


def test_truncation_keeps_the_prompt_and_drops_examples_without_answer() -> None:
    prompt = [IGNORE_INDEX] * 6
    encoded = [Encoded(list(range(10)), [*prompt, 6, 7, 8, 9]), Encoded(list(range(4)), [*prompt[:2], 2, 3])]
    kept, stats = truncate(encoded, 8, ["a", "b"])
    assert [len(e) for e in kept] == [8, 4] and stats.truncated == 1 and stats.dropped == 0
    kept, stats = truncate(encoded, 5, ["a", "b"])
    assert len(kept) == 1 and stats.dropped == 1 and stats.dropped_ids == ["a"]


def test_choose_max_length() -> None:
    lengths = list(range(1, 101))  # 98th percentile = 98
    assert choose_max_length(lengths, percentile=98, multiple=64, cap=1024) == 128
    assert choose_max_length([10, 20], multiple=64) == 64
    assert choose_max_length([5000] * 10, cap=1024) == 1024
    with pytest.raises(DataError):
        choose_max_length([])


def test_reading_the_export_and_its_errors(tmp_path: Path) -> None:
    records = read_chat_jsonl(FIXTURE / "train.jsonl")
    assert len(records) == 16 and records[0]["messages"][-1]["role"] == "assistant"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(records[0]) + "\n{not json\n")
    with pytest.raises(DataError, match=r"bad.jsonl:2: not valid JSON"):
        read_chat_jsonl(bad)
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "q"}]}) + "\n")
    with pytest.raises(DataError, match="must end with the assistant"):
        read_chat_jsonl(bad)
    with pytest.raises(DataError, match="does not exist"):
        read_chat_jsonl(tmp_path / "missing.jsonl")
