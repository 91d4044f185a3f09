"""The trainer refuses to start when the extension expects another event protocol, and says which side to update."""

from __future__ import annotations

import pytest

from medqa_trainer import PROTOCOL_VERSION
from medqa_trainer.cli import EXPECTED_PROTOCOL_ENV, main, protocol_problem


def test_matching_or_absent_protocol_is_accepted() -> None:
    assert protocol_problem(None) is None
    assert protocol_problem(str(PROTOCOL_VERSION)) is None


def test_newer_extension_asks_to_update_the_trainer() -> None:
    problem = protocol_problem(str(PROTOCOL_VERSION + 1))
    assert problem is not None
    assert "Update the trainer" in problem
    assert f"writes protocol version {PROTOCOL_VERSION}" in problem


def test_older_extension_asks_to_update_the_extension() -> None:
    problem = protocol_problem(str(PROTOCOL_VERSION - 1))
    assert problem is not None and "Update the MedQA Studio extension" in problem


def test_main_exits_3_before_any_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(EXPECTED_PROTOCOL_ENV, str(PROTOCOL_VERSION + 1))
    assert main(["score", "--predictions", "/nonexistent.jsonl", "--out", "/nonexistent-out"]) == 3
    assert "Update the trainer" in capsys.readouterr().err


def test_doctor_still_reports_so_the_extension_can_explain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(EXPECTED_PROTOCOL_ENV, str(PROTOCOL_VERSION + 1))
    assert main(["doctor", "--json"]) == 0
    assert f'"protocol_version": {PROTOCOL_VERSION}' in capsys.readouterr().out
