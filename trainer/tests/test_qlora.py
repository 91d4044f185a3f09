"""QLoRA without a GPU: `quantization: nf4` loads the base in 4-bit NF4 through bitsandbytes' CPU backend, and the
run trains, records that it ran 4-bit, resumes with its optimizer state, evaluates on the 4-bit base and exports a
merged adapter. On the tiny random Qwen3 (seconds) and, kept to 2 steps, on SmolLM2-135M.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from test_train import losses, start_training, wait_for

from medqa_trainer.cli import main
from medqa_trainer.events import read_events

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"
EVAL_DATA = Path(__file__).parent / "fixtures" / "eval" / "test.jsonl"


def write_run(folder: Path, model: str, name: str, **overrides: Any) -> Path:
    values: dict[str, Any] = {
        "preset": "recommended",
        "model_name_or_path": model,
        "train_file": str(FIXTURE / "train.jsonl"),
        "validation_file": str(FIXTURE / "validation.jsonl"),
        "output_dir": str(folder / name),
        "quantization": "nf4",
        "max_steps": 8,
        "per_device_train_batch_size": 2,
        "per_device_eval_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "learning_rate": 2e-2,
        "warmup_ratio": 0.0,
        "eval_steps": 2,
        "save_steps": 2,
        "logging_steps": 1,
        "early_stopping_patience": 0,
        **overrides,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def train_in_process(argv: list[str]) -> Any:
    """Runs `train` here and returns its Session (model, Trainer), to look at what really trained."""
    import medqa_trainer.session as session_module

    sessions: list[Any] = []
    original = session_module.build_session

    def capture(*args: Any, **kwargs: Any) -> Any:
        sessions.append(original(*args, **kwargs))
        return sessions[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session_module, "build_session", capture)
        assert main(["train", *argv]) == 0
    return sessions[-1]


def linear_4bit_layers(model: Any) -> list[Any]:
    import bitsandbytes as bnb

    return [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]


@pytest.fixture(scope="module")
def nf4_run(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Iterator[dict[str, Any]]:
    """8 steps of QLoRA with gradient checkpointing and a validation pass every 2 steps (training goes on after
    each, which is where bitsandbytes' inference layout would cut the gradient)."""
    folder = tmp_path_factory.mktemp("qlora")
    config = write_run(folder, str(tiny_model_dir), "unbroken", gradient_checkpointing=True)
    session = train_in_process(["--config", str(config)])
    run_dir = folder / "unbroken"
    yield {
        "folder": folder,
        "dir": run_dir,
        "session": session,
        "events": read_events(run_dir / "events.jsonl"),
    }


def test_a_nf4_run_trains_a_4bit_base_and_records_it(nf4_run: dict[str, Any], validate_event: Any) -> None:
    from medqa_trainer.modeling import base_precision_of

    events = nf4_run["events"]
    for event in events:
        validate_event(event)
    started = next(e for e in events if e["event"] == "run_started")
    assert started["environment"]["base_precision"] == "nf4" and started["environment"]["qlora"] is True
    assert started["environment"]["bitsandbytes"]
    codes = {e["code"] for e in events if e["event"] == "notice"}
    assert "qlora-on-cpu" in codes and "fp32-on-cpu" not in codes
    saved = yaml.safe_load((nf4_run["dir"] / "config.yaml").read_text(encoding="utf-8"))
    assert saved["run_info"]["environment"]["base_precision"] == "nf4"
    finished = events[-1]
    assert finished["event"] == "run_finished" and finished["step"] == 8
    assert finished["tokens_per_second"] > 0
    assert [e["step"] for e in events if e["event"] == "step"] == list(range(1, 9))

    model = nf4_run["session"].trainer.model
    assert base_precision_of(model) == "nf4"
    layers = linear_4bit_layers(model)
    assert len(layers) == 2 * 7  # q, k, v, o, gate, up, down in each of the 2 decoder layers
    # Gradient checkpointing was on in every decoder layer (the Trainer's, as for an fp32 base).
    decoders = [m for m in model.modules() if type(m).__name__ == "Qwen3DecoderLayer"]
    assert len(decoders) == 2 and all(m.gradient_checkpointing for m in decoders)
    # Four validation passes later, no layer was switched to the inference layout that passes no gradient.
    assert not any(getattr(m.weight.quant_state, "packing_format_for_cpu", False) for m in layers)


def test_a_validation_pass_leaves_4bit_layers_passing_gradients(tiny_model_dir: Path, tmp_path: Path) -> None:
    from medqa_trainer.config import TrainConfig
    from medqa_trainer.modeling import load_model, plan_device

    config = TrainConfig(
        model_name_or_path=str(tiny_model_dir),
        train_file=str(FIXTURE / "train.jsonl"),
        output_dir=str(tmp_path / "run"),
        quantization="nf4",
        lora_dropout=0.0,
    )
    plan = plan_device(config)
    assert plan.qlora and plan.base_precision == "nf4"
    ids = torch.tensor([[10, 20, 30, 40, 50, 60]])

    def input_gradient(model: Any) -> torch.Tensor:
        embeddings = model.get_input_embeddings()(ids).detach().requires_grad_(True)
        model(inputs_embeds=embeddings, labels=ids).loss.backward()
        assert embeddings.grad is not None
        return embeddings.grad

    model = load_model(config, plan, str(tiny_model_dir))
    model.train()
    before = input_gradient(model)
    model.eval()
    with torch.no_grad():
        model(input_ids=ids)  # what a validation pass does
    model.train()
    after = input_gradient(model)
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-6)


def test_a_nf4_run_resumes_with_its_optimizer_state_as_if_unbroken(
    nf4_run: dict[str, Any], tiny_model_dir: Path, validate_event: Any
) -> None:
    # Without gradient checkpointing this time: it must not change what is computed either.
    config = write_run(nf4_run["folder"], str(tiny_model_dir), "interrupted")
    run_dir = nf4_run["folder"] / "interrupted"
    proc = start_training(config)
    wait_for(
        run_dir / "events.jsonl", lambda ev: any(e["event"] == "step" and e["step"] >= 2 for e in ev), proc
    )
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    cancelled = read_events(run_dir / "events.jsonl")[-1]
    assert cancelled["event"] == "run_cancelled", output
    stopped_at = cancelled["step"]
    assert 2 <= stopped_at <= 6, "the SIGTERM came too late to leave steps to resume"

    session = train_in_process(["--config", str(config), "--resume", "latest"])
    events = read_events(run_dir / "events.jsonl")
    for event in events:
        validate_event(event)
    resumed_start = max(i for i, e in enumerate(events) if e["event"] == "run_started")
    assert events[resumed_start]["resumed_from"] == cancelled["checkpoint"]
    assert events[resumed_start]["environment"]["base_precision"] == "nf4"
    resumed = losses(events[resumed_start:])
    assert sorted(resumed) == list(range(stopped_at + 1, 9))
    # Step k+2's loss depends on the AdamW moments of step k+1: equal only when the optimizer state came back.
    expected = losses(nf4_run["events"])
    for step, loss in resumed.items():
        assert loss == pytest.approx(expected[step], rel=1e-4, abs=1e-4), f"step {step}"
    adam_steps = {float(state["step"]) for state in session.trainer.optimizer.state.values()}
    assert adam_steps == {8.0}


def test_evaluate_puts_a_qlora_adapter_on_its_4bit_base(
    nf4_run: dict[str, Any], tiny_model_dir: Path, tmp_path: Path
) -> None:
    adapter = nf4_run["dir"] / "adapter"
    base = ["evaluate", "--model", str(tiny_model_dir), "--adapter", str(adapter), "--data", str(EVAL_DATA)]
    base += ["--limit", "2", "--max-new-tokens", "4", "--batch-size", "2", "--bootstrap", "20"]
    runtime = {}
    for quantization in ("auto", "none"):
        out = tmp_path / quantization
        assert main([*base, "--out", str(out), "--quantization", quantization]) == 0
        metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
        assert metrics["n"] == 2 and metrics["overall"]["perplexity"]["value"] > 1
        runtime[quantization] = metrics["runtime"]["base_precision"]
    # auto: the adapter's run trained on an NF4 base, so it is evaluated on one; none: on the fp32 weights.
    assert runtime == {"auto": "nf4", "none": "fp32"}


def test_export_merges_a_qlora_adapter_into_its_dequantised_base_and_validates(
    nf4_run: dict[str, Any], tiny_model_dir: Path, tmp_path: Path
) -> None:
    import bitsandbytes.functional as bnb_functional
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from medqa_trainer.onnx_sources import load_merged_model, read_adapter, resolve_model

    adapter = nf4_run["dir"] / "adapter"
    out = tmp_path / "onnx"
    assert (
        main(["export-onnx", "--model", str(tiny_model_dir), "--adapter", str(adapter), "--out", str(out)])
        == 0
    )
    manifest = json.loads((out / "medqa-onnx.json").read_text(encoding="utf-8"))
    assert manifest["adapter_trained_base"] == "nf4" and manifest["validation"]["passed"] is True

    merged = load_merged_model(resolve_model(str(tiny_model_dir)), read_adapter(str(adapter)), lambda _: None)
    original = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    lora = load_file(str(adapter / "adapter_model.safetensors"))
    settings = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    scaling = settings["lora_alpha"] / settings["r"]
    prefix = "base_model.model.model.layers.0.self_attn.q_proj"
    delta = (lora[f"{prefix}.lora_B.weight"] @ lora[f"{prefix}.lora_A.weight"]) * scaling
    weight = original.model.layers[0].self_attn.q_proj.weight.detach()
    packed, state = bnb_functional.quantize_4bit(weight, quant_type="nf4", compress_statistics=True)
    nf4_weight = bnb_functional.dequantize_4bit(packed, state)
    merged_weight = merged.model.layers[0].self_attn.q_proj.weight.detach()
    # What trained: the NF4-rounded base plus the adapter, not the adapter on full-precision weights it never saw.
    torch.testing.assert_close(merged_weight, nf4_weight + delta, rtol=0, atol=1e-6)
    assert (merged_weight - (weight + delta)).abs().max() > 1e-3


def test_smollm2_nf4_trains_two_steps_saves_resumes_and_evaluates(
    smollm2_dir: Path, tmp_path: Path, validate_event: Any
) -> None:
    config = write_run(
        tmp_path,
        "smollm2-135m-instruct",
        "run",
        preset="cpu-small",
        max_steps=2,
        max_length=64,
        per_device_eval_batch_size=4,
        learning_rate=1e-3,
        eval_steps=1,
        save_steps=1,
    )
    run_dir = tmp_path / "run"
    assert main(["train", "--config", str(config)]) == 0
    first = read_events(run_dir / "events.jsonl")
    for event in first:
        validate_event(event)
    started = next(e for e in first if e["event"] == "run_started")
    assert started["environment"]["base_precision"] == "nf4"
    assert first[-1]["event"] == "run_finished" and first[-1]["tokens_per_second"] > 0
    evals = [e for e in first if e["event"] == "eval"]
    assert len(evals) == 2 and all(1 < e["perplexity"] < 400 for e in evals)  # pretrained, on a 4-bit base
    assert (run_dir / "checkpoint-1" / "optimizer.pt").is_file()

    session = train_in_process(["--config", str(config), "--resume", str(run_dir / "checkpoint-1")])
    events = read_events(run_dir / "events.jsonl")
    resumed = events[max(i for i, e in enumerate(events) if e["event"] == "run_started") :]
    assert resumed[0]["resumed_from"] == str(run_dir / "checkpoint-1")
    assert resumed[-1]["event"] == "run_finished" and resumed[-1]["step"] == 2
    assert losses(resumed) == pytest.approx({2: losses(first)[2]}, rel=1e-4)
    # AdamW counted step 1 from the checkpoint and step 2 here: its state was restored, not started afresh.
    assert {float(state["step"]) for state in session.trainer.optimizer.state.values()} == {2.0}

    out = tmp_path / "eval"
    args = ["evaluate", "--model", "smollm2-135m-instruct", "--adapter", str(run_dir / "adapter")]
    args += ["--data", str(EVAL_DATA), "--out", str(out), "--limit", "2", "--max-new-tokens", "8"]
    assert main([*args, "--batch-size", "2", "--bootstrap", "20"]) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["runtime"]["base_precision"] == "nf4" and metrics["n"] == 2
    assert 1 < metrics["overall"]["perplexity"]["value"] < 400
