"""`submit --slurm`: send a run to a Slurm cluster instead of training here.

    python -m medqa_trainer submit --slurm run.yaml [--partition gpu] [--nodes 2] [--gpus-per-node 4]
        [--time 04:00:00] [--account lab] [--cpus-per-task 8] [--mem 64G] [--sbatch-arg=--qos=high]

Writes `<output_dir>/slurm.sbatch` (resubmit it with `sbatch slurm.sbatch`), submits it with `sbatch --parsable`
and records the job in `<output_dir>/slurm-job.json`. The job trains with `srun` so that
`scancel --signal=TERM JOB` reaches the trainer, which saves a checkpoint and reports `run_cancelled`, as a local
run does on Cancel. One process per job without GPUs, or with one GPU on one node; otherwise torchrun on every
node (c10d rendezvous on the first), and run.yaml's `deepspeed:` preset applies as in any multi-GPU launch.
The run folder must be on storage the login node and the compute nodes share: the extension follows its
events.jsonl there. sbatch's own error text is printed as it is (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import medqa_trainer
from medqa_trainer.atomic import write_text_atomic
from medqa_trainer.config import ConfigError, load_config

SCRIPT_FILE = "slurm.sbatch"
JOB_FILE = "slurm-job.json"
OUTPUT_PATTERN = "slurm-%j.out"
RENDEZVOUS_PORT = 29500
EXIT_BAD_INPUT = 2
EXIT_SBATCH_FAILED = 1

# Slurm's own formats (sbatch(1)): a time limit, and memory with an optional unit.
_TIME = re.compile(r"^\d+(-\d{1,2})?(:\d{1,2}){0,2}$")
_MEMORY = re.compile(r"^\d+[KMGT]?$")


@dataclass
class SlurmResources:
    """What the job asks the scheduler for; empty strings leave the cluster's defaults."""

    partition: str = ""
    account: str = ""
    time: str = ""
    nodes: int = 1
    gpus_per_node: int = 0
    cpus_per_task: int = 0
    mem: str = ""
    extra_args: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = []
        if self.nodes < 1:
            found.append(f"--nodes must be at least 1 (got {self.nodes})")
        if self.gpus_per_node < 0:
            found.append(f"--gpus-per-node must be 0 or more (got {self.gpus_per_node})")
        if self.cpus_per_task < 0:
            found.append(
                f"--cpus-per-task must be 0 (the cluster's default) or more (got {self.cpus_per_task})"
            )
        if self.time and not _TIME.match(self.time):
            found.append(f"--time {self.time!r} is not a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS)")
        if self.mem and not _MEMORY.match(self.mem):
            found.append(f"--mem {self.mem!r} is not a Slurm memory size (e.g. 64G, 16000M)")
        for name in ("partition", "account"):
            value = getattr(self, name)
            if value and not re.match(r"^[\w.,-]+$", value):
                found.append(f"--{name} {value!r} has characters Slurm does not accept in a {name} name")
        return found

    @property
    def distributed(self) -> bool:
        return self.nodes > 1 or self.gpus_per_node > 1


def sbatch_directives(resources: SlurmResources, run_dir: Path) -> list[str]:
    lines = [
        f"--job-name=medqa-{run_dir.name}",
        f"--chdir={run_dir}",
        f"--output={run_dir / OUTPUT_PATTERN}",
        f"--nodes={resources.nodes}",
        "--ntasks-per-node=1",
    ]
    if resources.cpus_per_task:
        lines.append(f"--cpus-per-task={resources.cpus_per_task}")
    if resources.gpus_per_node:
        lines.append(f"--gpus-per-node={resources.gpus_per_node}")
    for name in ("partition", "account", "time", "mem"):
        value = getattr(resources, name)
        if value:
            lines.append(f"--{name}={value}")
    lines.extend(resources.extra_args)
    return [f"#SBATCH {shlex.quote(line)}" for line in lines]


def train_command(resources: SlurmResources, python: str, config: Path, resume: str | None) -> str:
    """The job's launch line: srun (a job step, so a signal from scancel reaches it) around the trainer."""
    train = ["-m", "medqa_trainer", "train", "--config", str(config)]
    if resume:
        train += ["--resume", resume]
    if not resources.distributed:
        return shlex.join(["srun", "--ntasks=1", python, *train])
    torchrun = [
        "-m",
        "torch.distributed.run",
        "--nnodes=$SLURM_NNODES",
        f"--nproc-per-node={max(resources.gpus_per_node, 1)}",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=$HEAD_NODE:{RENDEZVOUS_PORT}",
        "--rdzv-id=$SLURM_JOB_ID",
    ]
    # The $-words must expand in the batch shell: quoted with double quotes, everything else with shlex.
    words = ["srun", "--ntasks-per-node=1", python, *torchrun, *train]
    return " ".join(f'"{w}"' if w.startswith("--") and "$" in w else shlex.quote(w) for w in words)


def sbatch_script(
    resources: SlurmResources, run_dir: Path, config: Path, python: str, resume: str | None = None
) -> str:
    trainer_root = Path(medqa_trainer.__file__).resolve().parent.parent
    lines = [
        "#!/bin/bash",
        f"# Written by `python -m medqa_trainer submit --slurm {config.name}` on {_now()}.",
        f"# Submit it again from this folder: sbatch {SCRIPT_FILE}",
        *sbatch_directives(resources, run_dir),
        "set -euo pipefail",
        "# The trainer this script was written with (a checkout or a venv on storage the nodes share).",
        f"export PYTHONPATH={shlex.quote(str(trainer_root))}${{PYTHONPATH:+:$PYTHONPATH}}",
        "export PYTHONUNBUFFERED=1",
    ]
    if resources.distributed:
        lines.append('HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)')
    lines.append(train_command(resources, python, config, resume))
    return "\n".join(lines) + "\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_job_id(stdout: str) -> tuple[str, str | None]:
    """`sbatch --parsable` prints `ID` or `ID;CLUSTER`."""
    first = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    job_id, _, cluster = first.partition(";")
    if not job_id.isdigit():
        raise ValueError(f"sbatch printed no job id: {stdout.strip()!r}")
    return job_id, cluster or None


def submit(script: Path, run_dir: Path) -> tuple[str, str | None]:
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise FileNotFoundError(
            "sbatch is not on PATH: submit from a Slurm login node (e.g. through VS Code Remote-SSH), "
            "or load the cluster's Slurm module first"
        )
    result = subprocess.run(
        [sbatch, "--parsable", str(script)], cwd=run_dir, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SbatchError(result.stderr.strip() or result.stdout.strip() or f"exit code {result.returncode}")
    return parse_job_id(result.stdout)


class SbatchError(RuntimeError):
    """sbatch refused the job; the message is sbatch's own."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="run.yaml of the run to submit")
    parser.add_argument("--slurm", action="store_true", required=True, help="submit to Slurm with sbatch")
    parser.add_argument("--partition", default="", help="partition (default: the cluster's default)")
    parser.add_argument("--account", default="", help="account to charge")
    parser.add_argument("--time", default="", help="time limit: minutes, HH:MM:SS or D-HH:MM:SS")
    parser.add_argument("--nodes", type=int, default=1, help="nodes (default 1)")
    parser.add_argument("--gpus-per-node", type=int, default=0, help="GPUs per node (default 0: CPU)")
    parser.add_argument(
        "--cpus-per-task", type=int, default=0, help="CPU cores per node (default: the cluster's)"
    )
    parser.add_argument("--mem", default="", help="memory per node, e.g. 64G")
    parser.add_argument(
        "--sbatch-arg",
        action="append",
        default=[],
        help="one more sbatch option, e.g. --sbatch-arg=--qos=high",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="the Python the job runs (default: this one)"
    )
    parser.add_argument("--resume", help="'latest' or a checkpoint folder, passed to train")
    parser.add_argument("--write-only", action="store_true", help="write slurm.sbatch without submitting it")


def run(args: argparse.Namespace) -> int:
    resources = SlurmResources(
        partition=args.partition,
        account=args.account,
        time=args.time,
        nodes=args.nodes,
        gpus_per_node=args.gpus_per_node,
        cpus_per_task=args.cpus_per_task,
        mem=args.mem,
        extra_args=list(args.sbatch_arg),
    )
    problems = resources.problems()
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        config_file = args.config.resolve()
        run_dir = Path(load_config(config_file).output_dir).resolve()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    run_dir.mkdir(parents=True, exist_ok=True)
    script = run_dir / SCRIPT_FILE
    write_text_atomic(script, sbatch_script(resources, run_dir, config_file, args.python, args.resume))
    os.chmod(script, 0o755)
    print(f"wrote {script}")
    if args.write_only:
        return 0
    try:
        job_id, cluster = submit(script, run_dir)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_SBATCH_FAILED
    except SbatchError as error:
        print(str(error), file=sys.stderr)
        return EXIT_SBATCH_FAILED
    record = {
        "job_id": job_id,
        "cluster": cluster,
        "submitted_at": _now(),
        "script": SCRIPT_FILE,
        "output": OUTPUT_PATTERN.replace("%j", job_id),
        "resources": asdict(resources),
    }
    write_text_atomic(run_dir / JOB_FILE, json.dumps(record, indent=2) + "\n")
    print(f"submitted Slurm job {job_id}" + (f" on {cluster}" if cluster else ""))
    return 0
