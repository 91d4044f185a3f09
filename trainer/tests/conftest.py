"""Shared pytest fixtures: the real Qwen3 tokenizer from ../shared and a tiny random Qwen3 built once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TRAINER_DIR = Path(__file__).resolve().parents[1]
SHARED_DIR = TRAINER_DIR.parent.parent / "shared"
TOKENIZER_DIR = SHARED_DIR / "models" / "qwen3-tokenizer"
MEDQUAD_DIR = SHARED_DIR / "data" / "MedQuAD"


def require_shared(path: Path) -> Path:
    """Fail (never skip) when the read-only shared folder is missing: a silent skip would hide untested code."""
    if not path.exists():
        pytest.fail(
            f"{path} is missing. These tests need the shared read-only folder next to the repository "
            f"(expected at {SHARED_DIR}, with models/qwen3-tokenizer and data/MedQuAD)."
        )
    return path


@pytest.fixture(scope="session")
def tokenizer_dir() -> Path:
    return require_shared(TOKENIZER_DIR)


@pytest.fixture(scope="session")
def medquad_dir() -> Path:
    return require_shared(MEDQUAD_DIR)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path) -> Path:
    from medqa_trainer.tiny_model import make_tiny_model

    return make_tiny_model(tokenizer_dir, tmp_path_factory.mktemp("tiny-qwen3"))


@pytest.fixture(scope="session")
def events_schema() -> dict[str, Any]:
    from medqa_trainer.events import SCHEMA_PATH

    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@pytest.fixture(scope="session")
def validate_event(events_schema: dict[str, Any]) -> Any:
    """Returns a function that raises jsonschema.ValidationError for an event that breaks the protocol."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        events_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    def validate(event: dict[str, Any]) -> None:
        validator.validate(event)

    return validate


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """The installed SmolLM2-135M-Instruct (`./studio setup` installs it); fails, never skips, when absent."""
    from medqa_trainer.catalog import install_hint, installed_path, models_dir

    folder = installed_path("smollm2-135m-instruct")
    if folder is None:
        pytest.fail(
            f"smollm2-135m-instruct is not installed in {models_dir()} (MEDQA_MODELS_DIR). "
            f"Run ./studio setup, or: {install_hint('smollm2-135m-instruct')}"
        )
    return folder
