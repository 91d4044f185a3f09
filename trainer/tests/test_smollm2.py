"""The real pretrained model of the catalogue (SmolLM2-135M-Instruct): templates, a smoke train, an evaluation.

Kept small (well under a minute together): what matters here is that the code paths built and tested on the
tiny Qwen3 also hold for a model with another architecture and another chat template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from medqa_trainer.cli import main
from medqa_trainer.data import IGNORE_INDEX, encode_records
from medqa_trainer.events import read_events
from medqa_trainer.generation import Decoding, render_prompt
from medqa_trainer.templates import uses_thinking_switch

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"
EVAL_DATA = Path(__file__).parent / "fixtures" / "eval" / "test.jsonl"
CONVERSATIONS = [
    [{"role": "user", "content": "What is (are) Gout ?"}, {"role": "assistant", "content": "A form of arthritis."}],
    [
        {"role": "system", "content": "Answer as a nurse would."},
        {"role": "user", "content": "How to prevent Skin Cancer ?\nBe specific."},
        {"role": "assistant", "content": "Use sunscreen.\n\n- SPF 30\n- shade"},
    ],
]


def _tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))


@pytest.fixture(scope="module", params=["smollm2-135m-instruct", "qwen3-tokenizer"])
def tokenizer(request: pytest.FixtureRequest) -> Any:
    name = request.param
    folder = request.getfixturevalue("smollm2_dir" if name.startswith("smollm2") else "tokenizer_dir")
    return _tokenizer(folder)


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_training_and_generation_render_the_same_prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> None:
    [example] = encode_records(tokenizer, [{"messages": messages}], None)
    first_label = next(i for i, label in enumerate(example.labels) if label != IGNORE_INDEX)
    assert example.input_ids[:first_label] == render_prompt(tokenizer, messages[:-1], Decoding())
    answer = tokenizer.decode(example.input_ids[first_label:])
    assert answer == messages[-1]["content"] + tokenizer.eos_token
    assert example.labels[first_label:] == example.input_ids[first_label:]


def test_thinking_switch_only_where_the_template_reads_it(smollm2_dir: Path, tokenizer_dir: Path) -> None:
    smollm2, qwen3 = _tokenizer(smollm2_dir), _tokenizer(tokenizer_dir)
    assert not uses_thinking_switch(smollm2) and uses_thinking_switch(qwen3)
    prompt = smollm2.decode(render_prompt(smollm2, CONVERSATIONS[0][:1], Decoding()))
    # SmolLM2's template adds its own system turn when the export has none; no think block.
    assert prompt.startswith("<|im_start|>system\n") and "<think>" not in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def test_two_training_steps_and_a_four_example_evaluation(
    smollm2_dir: Path, tmp_path: Path, validate_event: Any
) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "preset": "cpu-small",
                "model_name_or_path": "smollm2-135m-instruct",  # the catalogue name, resolved by the trainer
                "train_file": str(FIXTURE / "train.jsonl"),
                "validation_file": str(FIXTURE / "validation.jsonl"),
                "output_dir": str(tmp_path / "run"),
                "max_steps": 2,
                "per_device_train_batch_size": 2,
                "gradient_accumulation_steps": 1,
                "max_length": 256,
                "eval_steps": 2,
                "save_steps": 2,
                "logging_steps": 1,
            }
        )
    )
    assert main(["train", "--config", str(config)]) == 0
    events = read_events(tmp_path / "run" / "events.jsonl")
    for event in events:
        validate_event(event)
    assert [e["event"] for e in events][-1] == "run_finished"
    steps = [e for e in events if e["event"] == "step"]
    assert len(steps) == 2 and all(e["loss"] > 0 for e in steps)
    evals = [e for e in events if e["event"] == "eval"]
    assert evals and 1 < evals[-1]["perplexity"] < 200  # a pretrained model, not a random one (~50k)
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text(encoding="utf-8"))
    assert saved["model_name_or_path"] == "smollm2-135m-instruct"
    assert saved["run_info"]["model_path"] == str(smollm2_dir)

    out = tmp_path / "eval"
    args = ["evaluate", "--model", "smollm2-135m-instruct", "--adapter", str(tmp_path / "run" / "adapter")]
    args += ["--data", str(EVAL_DATA), "--out", str(out), "--limit", "4", "--max-new-tokens", "24"]
    assert main([*args, "--batch-size", "4", "--bootstrap", "50", "--repetition-penalty", "1.15"]) == 0
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    # A pretrained model writes words: every answer has some, and none echoes the chat markup.
    assert all(len(r["prediction"].split()) >= 3 for r in rows)
    assert not any("<|im_start|>" in r["prediction"] or "assistant\n" in r["prediction"] for r in rows)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 4 and 1 < metrics["overall"]["perplexity"]["value"] < 200
