"""`report_to`: the HF Trainer's TensorBoard and MLflow callbacks, read back with each library's own reader."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from medqa_trainer.cli import main
from medqa_trainer.config import ConfigError, resolve_config
from medqa_trainer.events import read_events
from medqa_trainer.tracking import plan_tracking

FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"
REQUIRED = {"model_name_or_path": "m", "train_file": "t.jsonl", "output_dir": "/runs/r1"}


def test_report_to_takes_one_tracker_or_a_list_and_rejects_what_it_cannot_run() -> None:
    assert resolve_config(REQUIRED).report_to == ["none"]
    assert resolve_config({**REQUIRED, "report_to": "tensorboard"}).report_to == ["tensorboard"]
    both = resolve_config({**REQUIRED, "report_to": ["tensorboard", "mlflow"]})
    assert both.report_to == ["tensorboard", "mlflow"]
    for wrong, message in (
        (["wandb"], "report_to: wandb not one of none, tensorboard, mlflow"),
        (["none", "mlflow"], "none cannot be combined"),
        (["mlflow", "mlflow"], "report_to names an item twice"),
    ):
        with pytest.raises(ConfigError, match=message):
            resolve_config({**REQUIRED, "report_to": wrong})


def test_the_plan_logs_into_the_run_folder_unless_the_user_named_an_mlflow_store(tmp_path: Path) -> None:
    config = resolve_config(
        {**REQUIRED, "output_dir": str(tmp_path / "r1"), "report_to": ["tensorboard", "mlflow"]}
    )
    plan = plan_tracking(config, environ={})
    assert plan.trackers == ["tensorboard", "mlflow"]
    assert plan.environment["TENSORBOARD_LOGGING_DIR"] == str(tmp_path / "r1" / "tensorboard")
    assert plan.environment["MLFLOW_TRACKING_URI"] == (tmp_path / "r1" / "mlruns").as_uri()
    assert plan.environment["MLFLOW_ALLOW_FILE_STORE"] == "true"  # mlflow 3 refuses file stores otherwise
    assert plan.environment["MLFLOW_EXPERIMENT_NAME"] == "medqa-studio"
    assert [code for code, _ in plan.notices] == ["tensorboard-logging", "mlflow-logging"]
    mine = plan_tracking(
        config, environ={"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MLFLOW_EXPERIMENT_NAME": "x"}
    )
    assert mine.environment["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert "MLFLOW_ALLOW_FILE_STORE" not in mine.environment
    assert mine.environment["MLFLOW_EXPERIMENT_NAME"] == "x"
    assert plan_tracking(resolve_config(REQUIRED), environ={}).trackers == []


def test_a_database_store_without_sqlalchemy_is_refused_with_what_to_do(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.fail("sqlalchemy is installed: this test checks the mlflow-skinny setup the trainer ships")
    config = resolve_config({**REQUIRED, "report_to": "mlflow"})
    with pytest.raises(ConfigError, match="needs SQLAlchemy"):
        plan_tracking(config, environ={"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"})


@pytest.mark.slow
def test_a_tiny_run_logs_its_losses_to_tensorboard_and_mlflow(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "TENSORBOARD_LOGGING_DIR"):
        monkeypatch.delenv(name, raising=False)
    run_dir = tmp_path / "tracked-run"
    values: dict[str, Any] = {
        "preset": "recommended",
        "model_name_or_path": str(tiny_model_dir),
        "train_file": str(FIXTURE / "train.jsonl"),
        "validation_file": str(FIXTURE / "validation.jsonl"),
        "output_dir": str(run_dir),
        "max_steps": 3,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "eval_steps": 3,
        "save_steps": 3,
        "logging_steps": 1,
        "early_stopping_patience": 0,
        "report_to": ["tensorboard", "mlflow"],
    }
    config_path = tmp_path / "run.yaml"
    config_path.write_text(yaml.safe_dump(values))
    assert main(["train", "--config", str(config_path)]) == 0
    # The plan's variables were put back after the run (tests and the benchmark train in-process).
    assert "MLFLOW_TRACKING_URI" not in os.environ and "TENSORBOARD_LOGGING_DIR" not in os.environ
    events = read_events(run_dir / "events.jsonl")
    losses = {e["step"]: e["loss"] for e in events if e["event"] == "step"}
    eval_loss = next(e["eval_loss"] for e in events if e["event"] == "eval")
    assert sorted(losses) == [1, 2, 3]
    notices = {e["code"] for e in events if e["event"] == "notice"}
    assert {"tensorboard-logging", "mlflow-logging"} <= notices

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir / "tensorboard"))
    accumulator.Reload()
    logged = {s.step: s.value for s in accumulator.Scalars("train/loss")}
    assert logged == pytest.approx(losses, rel=1e-5)
    assert accumulator.Scalars("eval/loss")[0].value == pytest.approx(eval_loss, rel=1e-5)

    import mlflow
    from mlflow.tracking import MlflowClient

    uri = (run_dir / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv(
        "MLFLOW_TRACKING_URI", uri
    )  # restored after the test, which set_tracking_uri would not do
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["medqa-studio"], output_format="list")
    assert [run.info.run_name for run in runs] == ["tracked-run"]
    assert runs[0].info.status == "FINISHED"
    history = MlflowClient(uri).get_metric_history(runs[0].info.run_id, "loss")
    assert {m.step: m.value for m in history} == pytest.approx(losses, rel=1e-5)
    assert runs[0].data.metrics["eval_loss"] == pytest.approx(eval_loss, rel=1e-5)
