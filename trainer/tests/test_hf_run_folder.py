"""The layout of a real Hugging Face `Trainer` output folder that the extension's "Import Hugging Face Run" reads
(src/runs/hfRun.ts): generated here with the stock transformers `Trainer` + peft LoRA on the tiny random Qwen3,
then checked key by key, and compared with the stripped copy committed as test/fixtures/hf-run/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from make_hf_run import KEPT_FILES, make_hf_run, strip_weights

pytestmark = [pytest.mark.slow, pytest.mark.shared]

REPO_FIXTURE = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "hf-run"
TRAIN_KEYS = {"loss", "learning_rate", "grad_norm", "epoch", "step"}
EVAL_KEYS = {"eval_loss", "epoch", "step"}
SUMMARY_KEYS = {"train_runtime", "train_loss", "epoch", "step"}
# The trainer_state.json fields the reader uses besides log_history.
STATE_KEYS = {"global_step", "max_steps", "epoch", "num_train_epochs", "best_model_checkpoint", "best_metric"}
# What makes a checkpoint evaluable (src/runs/checkpoints.ts): an adapter config, weights, and trainer_state.json,
# which transformers writes last.
CHECKPOINT_FILES = {"adapter_config.json", "adapter_model.safetensors", "trainer_state.json"}


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def kinds(log_history: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "train": [e for e in log_history if "loss" in e],
        "eval": [e for e in log_history if "eval_loss" in e],
        "summary": [e for e in log_history if "train_runtime" in e],
    }


@pytest.fixture(scope="module")
def hf_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_hf_run(tiny_model_dir, tmp_path_factory.mktemp("hf") / "out", steps=8, eval_steps=2, save_steps=4)


def test_top_level_state_has_curves_evals_and_the_final_summary(hf_run: Path, tiny_model_dir: Path) -> None:
    state = read_json(hf_run / "trainer_state.json")
    assert state.keys() >= STATE_KEYS
    assert (state["global_step"], state["max_steps"], state["epoch"]) == (8, 8, 2.0)
    logged = kinds(state["log_history"])
    assert [e["step"] for e in logged["train"]] == list(range(1, 9))
    assert all(e.keys() >= TRAIN_KEYS for e in logged["train"])
    assert [e["epoch"] for e in logged["train"]][3::4] == [1.0, 2.0]
    assert [e["step"] for e in logged["eval"]] == [2, 4, 6, 8]
    assert all(e.keys() >= EVAL_KEYS and "loss" not in e for e in logged["eval"])
    assert len(logged["summary"]) == 1 and logged["summary"][0].keys() >= SUMMARY_KEYS
    assert "loss" not in logged["summary"][0], "the summary's train_loss must not read as a step's loss"
    best = state["best_model_checkpoint"]
    assert re.search(r"checkpoint-(4|8)$", best), best
    best_eval = next(e["eval_loss"] for e in logged["eval"] if e["step"] == int(best.rsplit("-", 1)[1]))
    assert state["best_metric"] == pytest.approx(best_eval)
    adapter = read_json(hf_run / "adapter_config.json")
    assert adapter["base_model_name_or_path"] == str(tiny_model_dir)
    assert (adapter["peft_type"], adapter["r"], adapter["lora_alpha"]) == ("LORA", 8, 16)
    assert (hf_run / "adapter_model.safetensors").is_file()
    assert not (hf_run / "events.jsonl").exists(), "an HF folder has no MedQA event log"


def test_each_checkpoint_is_a_complete_adapter_with_its_own_state(hf_run: Path, tiny_model_dir: Path) -> None:
    names = sorted(p.name for p in hf_run.iterdir() if p.is_dir())
    assert names == ["checkpoint-4", "checkpoint-8"]
    for name in names:
        folder = hf_run / name
        step = int(name.split("-")[1])
        assert {p.name for p in folder.iterdir()} >= CHECKPOINT_FILES
        assert read_json(folder / "adapter_config.json")["base_model_name_or_path"] == str(tiny_model_dir)
        state = read_json(folder / "trainer_state.json")
        assert state["global_step"] == step and state["max_steps"] == 8
        logged = kinds(state["log_history"])
        assert logged["train"][-1]["step"] == step
        assert logged["summary"] == [], "a checkpoint is saved before training ends"


def test_without_save_state_the_newest_checkpoint_carries_the_history(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = make_hf_run(tiny_model_dir, tmp_path / "out", steps=6, eval_steps=3, save_steps=3, final_state=False)
    assert not (out / "trainer_state.json").exists()
    state = read_json(out / "checkpoint-6" / "trainer_state.json")
    logged = kinds(state["log_history"])
    assert [e["step"] for e in logged["train"]] == list(range(1, 7))
    assert [e["step"] for e in logged["eval"]] == [3, 6]


def test_the_committed_fixture_has_the_same_layout_without_weights(hf_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "stripped"
    copy.mkdir()
    for path in hf_run.rglob("*"):
        target = copy / path.relative_to(hf_run)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    strip_weights(copy)

    def files(folder: Path) -> set[str]:
        return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}

    assert files(copy) == files(REPO_FIXTURE)
    assert all(Path(name).name in KEPT_FILES for name in files(REPO_FIXTURE))
    for name in ("trainer_state.json", "checkpoint-4/trainer_state.json", "checkpoint-8/trainer_state.json"):
        generated, committed = read_json(copy / name), read_json(REPO_FIXTURE / name)
        assert generated.keys() == committed.keys(), name
        assert [sorted(e) for e in generated["log_history"]] == [sorted(e) for e in committed["log_history"]]
