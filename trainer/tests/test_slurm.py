"""`submit --slurm`: the sbatch script's text, refused inputs, and real jobs on the local one-node Slurm cluster
(scripts/slurm_local.sh start; `./studio test` starts it and exports SLURM_CONF)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from medqa_trainer.cli import main
from medqa_trainer.events import read_events
from medqa_trainer.slurm import JOB_FILE, SCRIPT_FILE, SlurmResources, parse_job_id, sbatch_script

TRAINER_DIR = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "chat-export"


def run_yaml(tmp_path: Path, model: Path | str, **overrides: Any) -> Path:
    values: dict[str, Any] = {
        "preset": "recommended",
        "model_name_or_path": str(model),
        "train_file": str(FIXTURE / "train.jsonl"),
        "validation_file": str(FIXTURE / "validation.jsonl"),
        "output_dir": str(tmp_path / "run"),
        "max_steps": 2,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "eval_steps": 2,
        "save_steps": 2,
        "logging_steps": 1,
        **overrides,
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def bash_syntax_ok(text: str, tmp_path: Path) -> None:
    script = tmp_path / "check.sh"
    script.write_text(text)
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_one_cpu_job_runs_the_trainer_as_one_srun_step(tmp_path: Path) -> None:
    resources = SlurmResources(partition="debug", account="lab", time="30", cpus_per_task=4, mem="8G")
    text = sbatch_script(
        resources, tmp_path / "my run", tmp_path / "my run" / "run.yaml", "/opt/venv/bin/python"
    )
    assert "#SBATCH --partition=debug" in text
    assert "#SBATCH --account=lab" in text
    assert "#SBATCH --time=30" in text
    assert "#SBATCH --cpus-per-task=4" in text
    assert "#SBATCH --mem=8G" in text
    assert "#SBATCH --nodes=1" in text
    assert "--gpus-per-node" not in text
    assert f"#SBATCH '--chdir={tmp_path}/my run'" in text
    assert (
        f"srun --ntasks=1 /opt/venv/bin/python -m medqa_trainer train --config '{tmp_path}/my run/run.yaml'"
        in text
    )
    assert "torch.distributed.run" not in text
    bash_syntax_ok(text, tmp_path)


def test_multi_node_gpu_job_runs_torchrun_on_every_node(tmp_path: Path) -> None:
    resources = SlurmResources(nodes=2, gpus_per_node=4, extra_args=["--qos=high"])
    text = sbatch_script(resources, tmp_path, tmp_path / "run.yaml", "python3", resume="latest")
    assert "#SBATCH --nodes=2" in text
    assert "#SBATCH --gpus-per-node=4" in text
    assert "#SBATCH --qos=high" in text
    assert 'HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)' in text
    launch = text.strip().splitlines()[-1]
    assert launch.startswith("srun --ntasks-per-node=1 python3 -m torch.distributed.run ")
    assert '"--nnodes=$SLURM_NNODES"' in launch
    assert "--nproc-per-node=4" in launch
    assert '"--rdzv-endpoint=$HEAD_NODE:29500"' in launch
    assert launch.endswith(f"-m medqa_trainer train --config {tmp_path}/run.yaml --resume latest")
    bash_syntax_ok(text, tmp_path)


def test_parse_job_id_reads_both_parsable_forms() -> None:
    assert parse_job_id("42\n") == ("42", None)
    assert parse_job_id("42;cluster-a\n") == ("42", "cluster-a")
    with pytest.raises(ValueError, match="no job id"):
        parse_job_id("sbatch: warning: something\n")


def test_bad_resources_are_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = run_yaml(tmp_path, "any-model")
    code = main(["submit", "--slurm", str(config), "--time", "soon", "--nodes", "0", "--partition", "a b"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--time 'soon' is not a Slurm time limit" in err
    assert "--nodes must be at least 1" in err
    assert "--partition 'a b'" in err
    assert not (tmp_path / "run").exists()


def test_without_sbatch_the_message_says_where_to_submit_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    config = run_yaml(tmp_path, "any-model")
    assert main(["submit", "--slurm", str(config)]) == 1
    assert "sbatch is not on PATH: submit from a Slurm login node" in capsys.readouterr().err
    assert (tmp_path / "run" / SCRIPT_FILE).exists()
    assert not (tmp_path / "run" / JOB_FILE).exists()


# --- real jobs on the local cluster -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm_cluster() -> None:
    """Fail (never skip) when the local cluster is not up, with the reason (./studio test's, or sinfo's)."""
    if os.environ.get("MEDQA_SLURM_PROBLEM"):
        pytest.fail(os.environ["MEDQA_SLURM_PROBLEM"])
    if not os.environ.get("SLURM_CONF"):
        pytest.fail("SLURM_CONF is not set: start the local cluster with scripts/slurm_local.sh start")
    try:
        result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.fail("sinfo is not installed: install slurm-wlm and munge (./studio setup)")
    if result.returncode != 0 or not result.stdout.strip():
        pytest.fail(
            f"the local Slurm cluster does not answer: {result.stderr.strip() or result.stdout.strip()}"
        )


def submit_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(TRAINER_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "medqa_trainer", "submit", "--slurm", *args],
        cwd=TRAINER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def job_state(job_id: str) -> str:
    result = subprocess.run(
        ["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"], capture_output=True, text=True
    )
    return result.stdout.strip()


@pytest.mark.slow
def test_a_submitted_run_trains_on_the_cluster_and_records_its_job(
    tmp_path: Path, tiny_model_dir: Path, slurm_cluster: None
) -> None:
    config = run_yaml(tmp_path, tiny_model_dir)
    result = submit_cli(str(config), "--time", "10")
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / "run"
    record = json.loads((run_dir / JOB_FILE).read_text())
    assert result.stdout.strip().endswith(f"submitted Slurm job {record['job_id']}")
    assert record["script"] == SCRIPT_FILE and record["resources"]["time"] == "10"
    deadline = time.monotonic() + 240
    while job_state(record["job_id"]) not in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"):
        assert time.monotonic() < deadline, f"job {record['job_id']} is still {job_state(record['job_id'])}"
        time.sleep(1)
    output = (run_dir / record["output"]).read_text()
    assert job_state(record["job_id"]) == "COMPLETED", output
    events = read_events(run_dir / "events.jsonl")
    assert events[-1]["event"] == "run_finished", output
    assert events[-1]["step"] == 2


@pytest.mark.slow
def test_sbatch_errors_are_shown_as_sbatch_wrote_them(tmp_path: Path, slurm_cluster: None) -> None:
    config = run_yaml(tmp_path, "any-model")
    result = submit_cli(str(config), "--partition", "no-such-partition")
    assert result.returncode == 1
    assert "sbatch: error: invalid partition specified: no-such-partition" in result.stderr
    assert not (tmp_path / "run" / JOB_FILE).exists()
