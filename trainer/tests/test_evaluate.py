"""`evaluate` on the tiny Qwen3 with the real tokenizer: outputs, honest extraction, losses, adapters, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from medqa_trainer.cli import main
from medqa_trainer.events import read_events

pytestmark = [pytest.mark.slow, pytest.mark.shared]

TRAINER_DIR = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).parent / "fixtures" / "eval" / "test.jsonl"


@pytest.fixture(scope="module")
def talkative_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with larger random weights: at the default init it greedily emits only blank lines,
    which would make every prediction empty and the extraction checks below vacuous."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, 0.2)
    out = tmp_path_factory.mktemp("talkative-qwen3")
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(str(out))
    return out


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def base_run(talkative_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval-base")
    args = ["evaluate", "--model", str(talkative_model_dir), "--data", str(TEST_DATA), "--out", str(out)]
    assert main([*args, "--max-new-tokens", "12", "--batch-size", "4", "--bootstrap", "100"]) == 0
    return out


def test_evaluate_writes_predictions_metrics_and_events(base_run: Path, validate_event: Any) -> None:
    rows = rows_of(base_run / "predictions.jsonl")
    assert len(rows) == 6
    assert {r["id"] for r in rows} == {json.loads(line)["id"] for line in TEST_DATA.read_text().splitlines()}
    for row in rows:
        assert set(row) >= {
            "id",
            "question",
            "qtype",
            "reference",
            "prediction",
            "scores",
            "hygiene",
            "truncated",
            "new_tokens",
            "loss_sum",
            "answer_tokens",
            "decoding_hash",
        }
        # Text metrics, and the grounding proxies of a closed-book answer (no citation validity: no passages).
        assert set(row["scores"]) == {
            "exact_match",
            "f1",
            "bleu",
            "rouge_l",
            "meteor",
            "perplexity",
            "support",
            "fabrication",
        }
        assert row["grounding"]["sources"] == "question"
        assert 0 < row["new_tokens"] <= 12
    assert any(r["prediction"] for r in rows)
    metrics = json.loads((base_run / "metrics.json").read_text())
    assert metrics["n"] == 6 and metrics["total"] == 6 and metrics["cancelled"] is False
    assert set(metrics["overall"]) == {"exact_match", "f1", "bleu", "rouge_l", "meteor", "perplexity"}
    assert metrics["overall"]["perplexity"]["value"] > 1
    assert set(metrics["grounding"]["overall"]) == {"support", "fabrication", "fabrication_count"}
    assert metrics["grounding"]["n"] == 6
    assert set(metrics["by_qtype"]) == {
        "information",
        "symptoms",
        "exams and tests",
        "treatment",
        "susceptibility",
    }
    assert metrics["by_qtype"]["symptoms"]["n"] == 2
    assert metrics["decoding"]["do_sample"] is False and metrics["decoding"]["max_new_tokens"] == 12
    assert metrics["decoding"]["enable_thinking"] is False
    assert all(r["decoding_hash"] == metrics["decoding"]["hash"] for r in rows)
    assert metrics["runtime"]["dtype"] == "float32"
    assert metrics["hygiene"]["flags"]["truncated"]["count"] == sum(r["truncated"] for r in rows)
    events = read_events(base_run / "events.jsonl")
    for event in events:
        validate_event(event)
    assert [e["event"] for e in events] == ["eval_started", "eval_progress", "eval_progress", "eval_finished"]
    assert [e["done"] for e in events if e["event"] == "eval_progress"] == [4, 6]
    assert events[-1]["cancelled"] is False and events[-1]["n"] == 6


def test_answers_come_from_new_tokens_and_match_unbatched_generation(
    base_run: Path, talkative_model_dir: Path
) -> None:
    """Left-padded batches give the same answers as one prompt at a time, decoded from new ids only."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(talkative_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(talkative_model_dir), dtype=torch.float32).eval()
    examples = {json.loads(line)["id"]: json.loads(line) for line in TEST_DATA.read_text().splitlines()}
    for row in rows_of(base_run / "predictions.jsonl"):
        messages = examples[row["id"]]["messages"][:-1]
        text = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(
                **ids, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id
            )
        new = out[0, ids["input_ids"].shape[1] :].tolist()
        if tokenizer.eos_token_id in new:
            new = new[: new.index(tokenizer.eos_token_id)]
        assert row["prediction"] == tokenizer.decode(new, skip_special_tokens=True).strip()
        assert row["new_tokens"] == len(new)
        assert "role_markers" not in row["hygiene"] and "prompt_echo" not in row["hygiene"]


def test_full_reference_is_scored_and_loss_covers_answer_tokens_only(
    talkative_model_dir: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    long_answer = " ".join(f"Sentence {i} explains how kidney stones form and pass." for i in range(120))
    data = tmp_path / "long.jsonl"
    record = {
        "id": "long/1",
        "qtype": "information",
        "messages": [
            {"role": "user", "content": "What is (are) Kidney Stones ?"},
            {"role": "assistant", "content": long_answer},
        ],
    }
    data.write_text(json.dumps(record) + "\n")
    out = tmp_path / "out"
    args = ["evaluate", "--model", str(talkative_model_dir), "--data", str(data), "--out", str(out)]
    assert main([*args, "--max-new-tokens", "4", "--bootstrap", "10"]) == 0
    (row,) = rows_of(out / "predictions.jsonl")
    assert row["reference"] == long_answer  # never truncated to a training max_length
    tokenizer = AutoTokenizer.from_pretrained(str(talkative_model_dir))
    answer = tokenizer(long_answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    assert row["answer_tokens"] == len(answer) > 1000
    # The same number from the model's own loss with the prompt masked out (-100).
    model = AutoModelForCausalLM.from_pretrained(str(talkative_model_dir), dtype=torch.float32).eval()
    text = tokenizer.apply_chat_template(
        record["messages"][:1], tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
    input_ids = torch.tensor([prompt + answer])
    labels = torch.tensor([[-100] * len(prompt) + answer])
    with torch.inference_mode():
        mean_loss = float(model(input_ids=input_ids, labels=labels).loss)
    assert row["loss_sum"] / row["answer_tokens"] == pytest.approx(mean_loss, rel=1e-4)


def test_bad_data_file_lists_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.jsonl"
    good = TEST_DATA.read_text().splitlines()[0]
    no_answer = {"id": "q", "messages": [{"role": "user", "content": "Q?"}]}
    data.write_text("\n".join([good, "{oops", json.dumps(no_answer), json.dumps({"id": "z"})]) + "\n")
    out = tmp_path / "out"
    assert main(["evaluate", "--model", "unused", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{data}:2: not valid JSON" in err
    assert f"{data}:3: messages must contain a user turn and end with the assistant's answer" in err
    assert f"{data}:4: expected an object with a non-empty 'messages' list" in err
    assert f"{data}:1:" not in err
    assert [e["event"] for e in read_events(out / "events.jsonl")] == ["run_failed"]


def test_adapter_evaluation_and_compare(
    base_run: Path, talkative_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(talkative_model_dir), dtype=torch.float32)
    torch.manual_seed(3)
    # init_lora_weights=False: random A and B, so the adapter really changes the outputs.
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    adapter = tmp_path / "adapter"
    get_peft_model(model, config).save_pretrained(str(adapter))
    out = tmp_path / "candidate"
    args = [
        "evaluate",
        "--model",
        str(talkative_model_dir),
        "--adapter",
        str(adapter),
        "--data",
        str(TEST_DATA),
    ]
    assert (
        main([*args, "--out", str(out), "--max-new-tokens", "12", "--batch-size", "4", "--bootstrap", "100"])
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    # Recorded relative to metrics.json's folder (a sibling here), so a moved evaluation still finds it.
    assert metrics["adapter"] == "../adapter" and metrics["data"] == str(TEST_DATA.resolve())
    base_predictions = {r["id"]: r["prediction"] for r in rows_of(base_run / "predictions.jsonl")}
    assert any(r["prediction"] != base_predictions[r["id"]] for r in rows_of(out / "predictions.jsonl"))
    capsys.readouterr()
    compare_out = tmp_path / "comparison"
    assert main(["compare", "--base", str(base_run), "--candidate", str(out), "--out", str(compare_out)]) == 0
    comparison = json.loads((compare_out / "comparison.json").read_text())
    assert comparison["n"] == 6 and comparison["candidate"]["adapter"] == "../adapter"
    # The text metrics and the grounding proxies both sides have (closed-book: no citation measures).
    assert set(comparison["metrics"]) == {
        "exact_match",
        "f1",
        "bleu",
        "rouge_l",
        "meteor",
        "perplexity",
        "support",
        "fabrication",
        "fabrication_count",
    }
    base_ppl = json.loads((base_run / "metrics.json").read_text())["overall"]["perplexity"]["value"]
    assert comparison["metrics"]["perplexity"]["base"] == pytest.approx(base_ppl)
    assert "| perplexity |" in capsys.readouterr().out


def test_sigterm_keeps_finished_predictions(
    talkative_model_dir: Path, tmp_path: Path, validate_event: Any
) -> None:
    lines = TEST_DATA.read_text().splitlines()
    data = tmp_path / "many.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({**json.loads(line), "id": f"{json.loads(line)['id']}#{copy}"})
            for copy in range(4)
            for line in lines
        )
        + "\n"
    )
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "medqa_trainer",
        "evaluate",
        "--model",
        str(talkative_model_dir),
        "--data",
        str(data),
        "--out",
        str(out),
        "--batch-size",
        "1",
        "--max-new-tokens",
        "48",
        "--bootstrap",
        "50",
    ]
    process = subprocess.Popen(
        command, cwd=TRAINER_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        events_path = out / "events.jsonl"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if events_path.exists() and any(e["event"] == "eval_progress" for e in read_events(events_path)):
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        else:
            pytest.fail("evaluate reported no progress within 90 s")
        os.kill(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    rows = rows_of(out / "predictions.jsonl")
    assert 1 <= len(rows) < 24
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cancelled"] is True and metrics["n"] == len(rows) and metrics["total"] == 24
    events = read_events(out / "events.jsonl")
    for event in events:
        validate_event(event)
    assert events[-1]["event"] == "eval_finished" and events[-1]["cancelled"] is True
    assert events[-1]["n"] == len(rows)
    assert "cancelled after" in stdout


def test_missing_model_or_adapter_folder_is_a_clear_error(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "--data", str(TEST_DATA), "--out", str(tmp_path / "out")]
    assert main([*args, "--model", str(tmp_path / "no-such-model")]) == 2
    assert f"model folder {tmp_path / 'no-such-model'} does not exist" in capsys.readouterr().err
    assert main([*args, "--model", str(tiny_model_dir), "--adapter", str(tmp_path)]) == 2
    assert "is not a peft adapter folder" in capsys.readouterr().err
