from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from medqa_trainer.config import (
    FIELD_NAMES,
    ConfigError,
    TrainConfig,
    config_to_yaml,
    load_config,
    resolve_config,
    save_config,
)
from medqa_trainer.presets import PRESETS

BASE = {"model_name_or_path": "Qwen/Qwen3-0.6B", "train_file": "/data/train.jsonl", "output_dir": "/runs/a"}

CONTRACT_FIELDS = [
    "model_name_or_path",
    "train_file",
    "validation_file",
    "dataset_manifest",
    "output_dir",
    "preset",
    "max_length",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "per_device_eval_batch_size",
    "gradient_accumulation_steps",
    "learning_rate",
    "lr_scheduler_type",
    "warmup_ratio",
    "weight_decay",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "lora_target_modules",
    "quantization",
    "eval_steps",
    "save_steps",
    "logging_steps",
    "save_total_limit",
    "early_stopping_patience",
    "max_validation_examples",
    "seed",
    "packing",
    "group_by_length",
    "padding",
    "system_prompt",
    "deepspeed",
    "gradient_checkpointing",
    "retrieval_index",
    "retrieval_k",
    "retrieval_context_tokens",
    "report_to",
]


def test_fields_are_exactly_the_contract() -> None:
    assert list(FIELD_NAMES) == CONTRACT_FIELDS


def test_every_preset_sets_every_optional_field() -> None:
    for name, values in PRESETS.items():
        missing = (
            set(CONTRACT_FIELDS)
            - set(values)
            - {
                "model_name_or_path",
                "train_file",
                "validation_file",
                "dataset_manifest",
                "output_dir",
                "preset",
                # Retrieval is a choice of data, like validation_file: the same for every preset, off by default.
                "retrieval_index",
                "retrieval_k",
                "retrieval_context_tokens",
                # Experiment tracking is the user's choice of tools, not of recipe: off unless asked for.
                "report_to",
            }
        )
        assert not missing, f"{name} leaves {missing} to dataclass defaults"


def test_reference_recipe_is_the_published_recipe() -> None:
    config = resolve_config({**BASE, "preset": "reference-recipe"})
    assert (config.quantization, config.lora_r, config.lora_alpha, config.lora_dropout) == (
        "nf4",
        8,
        16,
        0.05,
    )
    assert config.lora_target_modules == ["q_proj", "v_proj"]
    assert (config.learning_rate, config.lr_scheduler_type, config.warmup_ratio) == (2e-4, "cosine", 0.05)
    assert (
        config.num_train_epochs,
        config.per_device_train_batch_size,
        config.gradient_accumulation_steps,
    ) == (
        3.0,
        2,
        8,
    )
    assert (config.eval_steps, config.save_steps, config.seed) == (500, 500, 42)
    assert (config.max_length, config.padding, config.group_by_length) == (128, "max_length", False)
    assert config.early_stopping_patience and config.early_stopping_patience > 0
    assert config.deepspeed == "zero2-offload"


def test_recommended_leaves_max_length_to_the_data_and_pads_per_batch() -> None:
    config = resolve_config({**BASE, "preset": "recommended"})
    assert config.max_length is None
    assert (config.padding, config.group_by_length) == ("longest", True)
    # Same effective batch (16 sequences per optimizer step) as the reference recipe.
    assert config.per_device_train_batch_size * config.gradient_accumulation_steps == 16


def test_overrides_win_over_the_preset() -> None:
    config = resolve_config({**BASE, "preset": "reference-recipe", "max_length": 256, "lora_r": 16})
    assert (config.max_length, config.lora_r, config.padding) == (256, 16, "max_length")


def test_unknown_keys_are_listed() -> None:
    with pytest.raises(ConfigError, match=r"unknown key\(s\) batch_size, lr\b"):
        resolve_config({**BASE, "lr": 1e-4, "batch_size": 4})


def test_missing_required_and_bad_types_are_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_config({"train_file": "t.jsonl", "lora_r": "eight", "packing": "yes"})
    message = str(caught.value)
    for part in (
        "model_name_or_path is required",
        "output_dir is required",
        "lora_r: expected int",
        "packing",
    ):
        assert part in message


def test_yaml_exponent_without_dot_is_a_float(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model_name_or_path: m\ntrain_file: t.jsonl\noutput_dir: out\nlearning_rate: 2e-4\n")
    assert load_config(path).learning_rate == pytest.approx(2e-4)


def test_invalid_choices_and_step_alignment() -> None:
    with pytest.raises(ConfigError, match="padding must be one of"):
        resolve_config({**BASE, "padding": "right"})
    with pytest.raises(ConfigError, match=r"save_steps .* multiple of eval_steps"):
        resolve_config({**BASE, "eval_steps": 30, "save_steps": 50})
    with pytest.raises(ConfigError, match="preset 'fast'"):
        resolve_config({**BASE, "preset": "fast"})


def test_yaml_round_trip_with_run_info(tmp_path: Path) -> None:
    config = resolve_config(
        {**BASE, "preset": "reference-recipe", "system_prompt": "Be brief.", "max_steps": 30}
    )
    path = tmp_path / "config.yaml"
    save_config(
        config, path, run_info={"environment": {"device": "cpu"}, "dataset_manifest_hash": "sha256:x"}
    )
    loaded = load_config(path)
    assert loaded == config
    assert yaml.safe_load(path.read_text())["run_info"]["dataset_manifest_hash"] == "sha256:x"
    assert config_to_yaml(loaded) == config_to_yaml(config)


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    path = tmp_path / "run.yaml"
    path.write_text("model_name_or_path: model\ntrain_file: data/train.jsonl\noutput_dir: runs/r1\n")
    config = load_config(path)
    assert config.model_name_or_path == str(tmp_path / "model")
    assert config.train_file == str(tmp_path / "data" / "train.jsonl")
    assert config.output_dir == str(tmp_path / "runs" / "r1")
    path.write_text("model_name_or_path: Qwen/Qwen3-0.6B\ntrain_file: t.jsonl\noutput_dir: o\n")
    assert load_config(path).model_name_or_path == "Qwen/Qwen3-0.6B"  # a hub id stays a hub id


def test_a_non_mapping_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="flat mapping"):
        load_config(path)


def test_dataclass_defaults_match_the_recommended_preset() -> None:
    defaults = TrainConfig(**BASE)
    for key, value in PRESETS["recommended"].items():
        assert getattr(defaults, key) == value, key
