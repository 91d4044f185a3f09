"""run.yaml's JSON Schema (schema/train_config.schema.json) is generated from TrainConfig and says what it checks."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from medqa_trainer import config_schema
from medqa_trainer.config import FIELD_BOUNDS, FIELD_NAMES, ConfigError, resolve_config
from medqa_trainer.presets import PRESETS

BASE = {"model_name_or_path": "Qwen/Qwen3-0.6B", "train_file": "/data/train.jsonl", "output_dir": "/runs/a"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(config_schema.SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def test_the_committed_schema_is_what_the_config_generates() -> None:
    assert config_schema.main(["--check"]) == 0, "run: python -m medqa_trainer.config_schema"
    assert config_schema.SCHEMA_PATH.read_text(encoding="utf-8") == config_schema.schema_text()


def test_the_schema_names_every_field_with_its_type(schema: dict[str, Any]) -> None:
    assert [name for name in schema["properties"] if name != "run_info"] == list(FIELD_NAMES)
    assert schema["properties"]["lr_scheduler_type"]["enum"][-1] == "inverse_sqrt"
    assert schema["properties"]["lora_target_modules"]["type"] == "array"
    assert schema["properties"]["max_length"]["type"] == ["integer", "null"]


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_resolved_preset_is_valid_under_the_schema(schema: dict[str, Any], preset: str) -> None:
    config = resolve_config({**BASE, "preset": preset})
    jsonschema.Draft202012Validator(schema).validate(config.to_dict())


def _beyond(bound: float, exclusive: bool, step: float, is_int: bool) -> float:
    """The nearest value the bound rules out."""
    if is_int:
        return int(bound) if exclusive else int(bound) + int(step)
    return bound if exclusive else bound + step * 1e-3


@pytest.mark.parametrize("name", sorted(FIELD_BOUNDS))
def test_the_trainer_and_the_schema_refuse_the_same_values(schema: dict[str, Any], name: str) -> None:
    bounds = FIELD_BOUNDS[name]
    spec = schema["properties"][name]
    is_int = "integer" in (spec["type"] if isinstance(spec["type"], list) else [spec["type"]])
    validator = jsonschema.Draft202012Validator(schema)
    sides = [
        (bounds.minimum, bounds.exclusive_minimum, -1.0),
        (bounds.maximum, bounds.exclusive_maximum, 1.0),
    ]
    for bound, exclusive, step in sides:
        if bound is None:
            continue
        value = _beyond(bound, exclusive, step, is_int)
        values = {**BASE, name: value}
        if name == "eval_steps":
            values["save_steps"] = 1000
        with pytest.raises(ConfigError, match=name):
            resolve_config(values)
        assert not validator.is_valid({**values, "preset": "recommended"}), f"{name}={value}"
