"""Experiment tracking: run.yaml's `report_to` goes to the HF Trainer's own TensorBoard and MLflow callbacks.

Those callbacks take their settings from environment variables, so a plan names the variables to set for the run:
- TensorBoard: event files in `<output_dir>/tensorboard` (view with `tensorboard --logdir <run>/tensorboard`);
- MLflow: the tracking URI the user set (MLFLOW_TRACKING_URI), else a local file store `<output_dir>/mlruns`, which
  works offline; experiment MLFLOW_EXPERIMENT_NAME or "medqa-studio"; the MLflow run is named after the run folder.
MLflow 3 refuses file stores unless MLFLOW_ALLOW_FILE_STORE=true ("maintenance mode"); its database stores need
SQLAlchemy, which mlflow-skinny leaves out, so the plan opts in to the file store and says why a database URI fails.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from medqa_trainer.config import ConfigError, TrainConfig

TENSORBOARD_DIR = "tensorboard"
MLFLOW_DIR = "mlruns"
DEFAULT_EXPERIMENT = "medqa-studio"
# tracker -> (module it imports, the distribution that provides it)
TRACKER_PACKAGES = {"tensorboard": ("tensorboard", "tensorboard"), "mlflow": ("mlflow", "mlflow-skinny")}
_DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


@dataclass(frozen=True)
class TrackingPlan:
    trackers: list[str]  # what TrainingArguments.report_to gets; empty: none
    environment: dict[str, str] = field(default_factory=dict)  # what the HF callbacks read
    notices: list[tuple[str, str]] = field(default_factory=list)  # (code, message) for the run's events


def _is_file_store(uri: str) -> bool:
    scheme = urlparse(uri).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt")  # a Windows drive letter


def plan_tracking(config: TrainConfig, environ: Mapping[str, str] | None = None) -> TrackingPlan:
    """Where each tracker of `config.report_to` logs; ConfigError when one cannot run in this Python."""
    env = os.environ if environ is None else environ
    trackers = [name for name in config.report_to if name != "none"]
    missing = [name for name in trackers if importlib.util.find_spec(TRACKER_PACKAGES[name][0]) is None]
    if missing:
        packages = " ".join(TRACKER_PACKAGES[name][1] for name in missing)
        raise ConfigError(
            f"report_to: {', '.join(missing)} is not installed in {sys.executable}; run "
            f"'MedQA: Set Up Python Environment' or `pip install {packages}`, or remove it from report_to"
        )
    output_dir = Path(config.output_dir)
    variables: dict[str, str] = {}
    notices: list[tuple[str, str]] = []
    if "tensorboard" in trackers:
        logdir = output_dir / TENSORBOARD_DIR
        variables["TENSORBOARD_LOGGING_DIR"] = str(logdir)
        notices.append(
            ("tensorboard-logging", f"TensorBoard logs go to {logdir} (view: tensorboard --logdir {logdir}).")
        )
    if "mlflow" in trackers:
        uri = env.get("MLFLOW_TRACKING_URI") or (output_dir / MLFLOW_DIR).resolve().as_uri()
        scheme = urlparse(uri).scheme
        if scheme in _DATABASE_SCHEMES and importlib.util.find_spec("sqlalchemy") is None:
            raise ConfigError(
                f"report_to: mlflow: MLFLOW_TRACKING_URI={uri} is a database store, which needs SQLAlchemy "
                "(mlflow-skinny leaves it out); `pip install mlflow`, use a file store (file:/path/mlruns) or "
                "a tracking server (http://...)"
            )
        variables["MLFLOW_TRACKING_URI"] = uri
        if _is_file_store(uri):
            variables["MLFLOW_ALLOW_FILE_STORE"] = env.get("MLFLOW_ALLOW_FILE_STORE", "true")
        experiment = env.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
        variables["MLFLOW_EXPERIMENT_NAME"] = experiment
        notices.append(
            (
                "mlflow-logging",
                f"MLflow logs to {uri}, experiment {experiment}, run {output_dir.name}"
                + (f" (view: mlflow ui --backend-store-uri {uri})." if _is_file_store(uri) else "."),
            )
        )
    return TrackingPlan(trackers, variables, notices)


@contextmanager
def tracking_environment(plan: TrackingPlan) -> Iterator[None]:
    """Sets the plan's variables for the length of a run and puts the old values back (tests train in-process)."""
    saved = {name: os.environ.get(name) for name in plan.environment}
    os.environ.update(plan.environment)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
