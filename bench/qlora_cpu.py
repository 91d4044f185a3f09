"""QLoRA on a CPU: peak memory (RSS) and training tokens/s of a 4-bit NF4 base vs an fp32 base, same LoRA.

Both go through the trainer's real code path (medqa_trainer.session.build_session with `quantization: nf4` or
`none`: bitsandbytes' CPU backend, prepare_model_for_kbit_training, LoRA, transformers.Trainer) on the same
slice of real MedQuAD answers from ../shared, SmolLM2-135M-Instruct from the model catalogue by default. Each
measurement is its own child process, so its peak RSS is that run's alone; the two kinds alternate (nf4, fp32,
fp32, nf4, ...) so that load from other processes on a shared machine falls on both. Per kind it reports the
median of: peak RSS (of the whole process, of loading, of training alone), RSS once the model is loaded,
effective (non-padding) tokens/s after the first step (the first step warms up), tokens per CPU-second (less
sensitive to other load), and the loss after the last step.
Then the ratios nf4 / fp32. Target: the 4-bit base's peak RSS while training is below the fp32 base's (exit 1
otherwise; loading an NF4 base reads the fp32 weights first, so the whole process's peak need not be); its
speed is reported, not targeted.

    .venv/bin/python bench/qlora_cpu.py [--model smollm2-135m-instruct] [--rounds 2] [--steps 3] [--json out.json]
    npm run bench:qlora
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

KINDS = {"nf4": "nf4", "fp32": "none"}  # bench label -> run.yaml quantization


def rss_mb() -> float:
    """Resident set size now, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_peak_rss() -> None:
    """Linux: from here VmHWM (the peak RSS) counts anew, so the training phase gets a peak of its own."""
    Path("/proc/self/clear_refs").write_text("5", encoding="utf-8")


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(args: argparse.Namespace) -> int:
    """One training run of one kind; prints its measurements as one JSON line."""
    from transformers import TrainerCallback

    from medqa_trainer.config import resolve_config
    from medqa_trainer.events import EventWriter
    from medqa_trainer.modeling import base_precision_of
    from medqa_trainer.session import build_session

    work = Path(args.work)
    config = resolve_config(
        {
            "preset": "cpu-small",
            "model_name_or_path": args.model,
            "train_file": str(work / "train.jsonl"),
            "output_dir": str(work / f"run-{args.child}-{os.getpid()}"),
            "quantization": KINDS[args.child],
            "max_steps": args.steps,
            "per_device_train_batch_size": args.batch_size,
            "gradient_accumulation_steps": 1,
            "max_length": args.max_length,
            "eval_steps": 1_000_000,  # no validation and no checkpoint inside the measurement
            "save_steps": 1_000_000,
            "logging_steps": 1,
            "gradient_checkpointing": args.gradient_checkpointing,
        }
    )
    writer = EventWriter(work / f"events-{os.getpid()}.jsonl", enabled=False)
    loading = time.perf_counter()
    session = build_session(config, writer, world_size=1, say=lambda *a, **k: None, save_run_config=False)
    load_seconds = time.perf_counter() - loading
    loaded_rss = rss_mb()
    trainer = session.trainer
    after_first: dict[str, float] = {}

    class AfterFirstStep(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, *a: Any, **k: Any) -> None:
            if not after_first:
                after_first.update(
                    tokens=trainer.real_tokens,
                    seconds=trainer.train_seconds,
                    cpu=time.process_time(),
                )

    trainer.add_callback(AfterFirstStep())
    load_peak = peak_rss_mb()
    reset_peak_rss()
    cpu_started = time.process_time()
    trainer.train()
    train_peak = status_mb("VmHWM")
    tokens = trainer.real_tokens - after_first["tokens"]
    seconds = trainer.train_seconds - after_first["seconds"]
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    result = {
        "kind": args.child,
        "base_precision": base_precision_of(trainer.model),
        "steps": trainer.state.global_step,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_peak_rss_mb": round(load_peak, 1),
        "train_peak_rss_mb": round(train_peak, 1),
        "loaded_rss_mb": round(loaded_rss, 1),
        "load_seconds": round(load_seconds, 2),
        "tokens_per_second": round(tokens / seconds, 2),
        "tokens_per_cpu_second": round(tokens / (time.process_time() - after_first["cpu"]), 2),
        "first_step_seconds": round(after_first["seconds"], 2),
        "train_cpu_seconds": round(time.process_time() - cpu_started, 1),
        "last_loss": round(losses[-1], 4) if losses else None,
    }
    print(json.dumps(result), flush=True)
    return 0


def run_child(args: argparse.Namespace, kind: str, work: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--work",
        str(work),
        "--model",
        args.model,
    ]
    command += ["--steps", str(args.steps), "--batch-size", str(args.batch_size)]
    command += ["--max-length", str(args.max_length)]
    if args.gradient_checkpointing:
        command.append("--gradient-checkpointing")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {kind} run failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["base_precision"] != kind:
        sys.exit(f"the {kind} run loaded its base as {result['base_precision']}")
    return result


FIELDS = (
    ("peak_rss_mb", "peak RSS (MB)"),
    ("load_peak_rss_mb", "peak RSS loading (MB)"),
    ("train_peak_rss_mb", "peak RSS training (MB)"),
    ("loaded_rss_mb", "RSS after loading (MB)"),
    ("tokens_per_second", "tokens/s (steps 2..N)"),
    ("tokens_per_cpu_second", "tokens per CPU-second"),
    ("load_seconds", "load + tokenize (s)"),
    ("last_loss", "loss after the last step"),
)


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    medians = {
        kind: {key: statistics.median(r[key] for r in results if r["kind"] == kind) for key, _ in FIELDS}
        for kind in KINDS
    }
    ratios = {key: medians["nf4"][key] / medians["fp32"][key] for key, _ in FIELDS if key != "last_loss"}
    return {"medians": medians, "ratios": ratios}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model",
        default="smollm2-135m-instruct",
        help="a catalogue name or a model folder",
    )
    parser.add_argument("--rounds", type=int, default=2, help="measurements per kind, alternating")
    parser.add_argument(
        "--steps",
        type=int,
        default=3,
        help="optimizer steps per measurement (the first warms up)",
    )
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument(
        "--max-length",
        type=int,
        default=128,
        help="tokens per example (cut longer answers)",
    )
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--seed", type=int, default=0, help="which slice of MedQuAD")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first step warms up and is not timed)")

    from train_throughput import write_slice

    with tempfile.TemporaryDirectory(prefix="medqa-bench-qlora-") as tmp:
        work = Path(tmp)
        write_slice(work, args.steps * args.batch_size, args.seed)
        results: list[dict[str, Any]] = []
        for round_index in range(args.rounds):
            order = ["nf4", "fp32"] if round_index % 2 == 0 else ["fp32", "nf4"]
            for kind in order:
                result = run_child(args, kind, work)
                results.append(result)
                print(
                    f"round {round_index + 1} {kind:>4}: peak RSS {result['peak_rss_mb']:,.0f} MB, "
                    f"{result['tokens_per_second']:,.1f} tokens/s, loss {result['last_loss']}",
                    flush=True,
                )
    summary = summarize(results)
    print(
        f"\n{args.model}, LoRA as in cpu-small, {args.steps} steps of {args.batch_size} x <= {args.max_length} "
        f"tokens, {args.rounds} alternating runs per kind (medians), {os.cpu_count()} CPUs"
    )
    print(f"{'':<28}{'nf4 (QLoRA)':>14}{'fp32 (LoRA)':>14}{'nf4 / fp32':>12}")
    for key, label in FIELDS:
        ratio = summary["ratios"].get(key)
        print(
            f"{label:<28}{summary['medians']['nf4'][key]:>14,.2f}{summary['medians']['fp32'][key]:>14,.2f}"
            + (f"{ratio:>12.2f}" if ratio is not None else "")
        )
    met = summary["ratios"]["train_peak_rss_mb"] < 1.0
    print(
        f"target: nf4 peak RSS while training below fp32's: {'met' if met else 'MISSED'} "
        f"({summary['ratios']['train_peak_rss_mb']:.2f}x)"
    )
    if args.json:
        document = {"args": {k: v for k, v in vars(args).items() if k not in ("child", "work", "json")}}
        document.update(summary, runs=results, cpus=os.cpu_count(), load_average=os.getloadavg())
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
