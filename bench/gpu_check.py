"""The GPU check in one command (issue 19): what QLoRA and LoRA really do on a CUDA GPU, written to one JSON file.

    bench/gpu_check.sh [--out gpu_check.json] [--steps 60]     # on a machine with a CUDA GPU, under 8 minutes
    bench/gpu_check.sh --cpu-smoke                              # this script on a CPU: 2 steps each, nf4 vs fp32

Steps, each recorded in the JSON:
1. `nvidia-smi` (its table and the GPU's name, memory and driver);
2. the trainer's real training path (medqa_trainer.session.build_session: data encoding, packing, the LoRA model
   from modeling.load_model, transformers' Trainer) on SmolLM2-135M-Instruct from the local model catalogue
   (installed by `./studio setup`, no hub) for a fixed number of steps, twice, each in its own process:
   `quantization: nf4` (QLoRA: a 4-bit NF4 base computing in bf16) and `quantization: none` (LoRA on a bf16 base).
   For each: effective tokens/s (median over the steps after the first), peak GPU memory
   (torch.cuda.max_memory_allocated, from just before the model loads), the loss of the first and the last step,
   and the base precision read from the loaded model (so an nf4 run that silently loaded 16-bit fails the check);
3. batched evaluation on each trained model: greedy generation (medqa_trainer.generation.generate_batch) for a
   batch of questions, new tokens/s.
The ratios nf4 / bf16 come last. The training data is the trainer's chat fixture repeated and packed into full
windows, so the check needs nothing but the repository and the installed model.

Without a CUDA GPU it exits 2 saying so, unless `--cpu-smoke`: then 2 steps of batch 2 x 64 tokens each, nf4
(computing in fp32) against fp32 LoRA, and 2 answers of 4 tokens, with a budget of 40 minutes (it took 25 on a
busy 2-core CPU: 4-bit steps take minutes there), to show the script itself works. Those numbers say nothing about a GPU.
Exit 1 when a step failed or the budget ran out (the JSON still says what ran).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "trainer"))
FIXTURE = REPO / "trainer" / "tests" / "fixtures" / "chat-export"
MODEL = "smollm2-135m-instruct"
MODES = ("nf4", "none")  # run.yaml `quantization`: QLoRA on a 4-bit base, LoRA on a 16-bit (CPU: 32-bit) base
BUDGET_SECONDS = 450  # the .sh kills at 470 s: the whole check stays under 8 minutes
CPU_SMOKE_BUDGET_SECONDS = 2400  # on a loaded 2-core CPU the smoke took 25 min (4-bit steps take minutes)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("gpu_check.json"), help="the JSON file to write")
    parser.add_argument(
        "--cpu-smoke", action="store_true", help="run on a CPU with tiny sizes (checks the script)"
    )
    parser.add_argument("--model", default=MODEL, help="catalogue name or model folder (default %(default)s)")
    parser.add_argument("--steps", type=int, help="optimizer steps per mode (GPU 60, CPU smoke 2)")
    parser.add_argument("--batch-size", type=int, help="sequences per step (GPU 8, CPU smoke 2)")
    parser.add_argument("--seq-len", type=int, help="tokens per packed sequence (GPU 512, CPU smoke 64)")
    parser.add_argument("--eval-batch", type=int, help="questions generated at once (GPU 16, CPU smoke 2)")
    parser.add_argument("--new-tokens", type=int, help="max new tokens per answer (GPU 128, CPU smoke 4)")
    parser.add_argument(
        "--budget-seconds", type=float, help=f"GPU {BUDGET_SECONDS}, CPU smoke {CPU_SMOKE_BUDGET_SECONDS}"
    )
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = (2, 2, 64, 2, 4) if args.cpu_smoke else (60, 8, 512, 16, 128)
    if args.budget_seconds is None:
        args.budget_seconds = CPU_SMOKE_BUDGET_SECONDS if args.cpu_smoke else BUDGET_SECONDS
    for name, value in zip(
        ("steps", "batch_size", "seq_len", "eval_batch", "new_tokens"), defaults, strict=True
    ):
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def nvidia_smi() -> dict[str, Any]:
    """nvidia-smi's table and the GPU's name, memory and driver; `found: false` when it is not installed."""
    if shutil.which("nvidia-smi") is None:
        return {"found": False}
    table = subprocess.run(["nvidia-smi"], check=False, capture_output=True, text=True, timeout=60)
    query = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {"found": True, "exit_code": table.returncode, "table": table.stdout, "gpus": query.stdout.strip()}


def packed_export(folder: Path, copies: int) -> Path:
    """The trainer's chat fixture repeated `copies` times (distinct ids): enough text to pack full windows."""
    rows = [
        json.loads(line)
        for line in (FIXTURE / "train.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    train = folder / "train.jsonl"
    with train.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for row in rows:
                out.write(json.dumps({**row, "id": f"{row['id']}#{copy}"}) + "\n")
    return train


def questions(count: int) -> list[list[dict[str, str]]]:
    """The fixture's prompts (system + user turns) for the generation step."""
    rows = []
    for split in ("test", "validation", "train"):
        for line in (FIXTURE / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            if line:
                rows.append([m for m in json.loads(line)["messages"] if m["role"] != "assistant"])
    return (rows * (count // len(rows) + 1))[:count]


def base_precision(model: Any) -> str:
    """`nf4` when bitsandbytes 4-bit NF4 layers are in the model, else the dtype of its frozen weights."""
    import torch

    for module in model.modules():
        state = getattr(getattr(module, "weight", None), "quant_state", None)
        if state is not None and getattr(state, "quant_type", None) == "nf4":
            return "nf4"
    frozen = next((p for p in model.parameters() if not p.requires_grad), next(model.parameters()))
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(frozen.dtype, "fp32")


def run_mode(quantization: str, args: argparse.Namespace, model_path: str) -> dict[str, Any]:
    """One mode in this process: train `steps` steps through the trainer, then generate a batch."""
    import resource

    import torch
    from medqa_trainer.config import resolve_config
    from medqa_trainer.events import EventWriter, read_events
    from medqa_trainer.generation import Decoding, generate_batch, render_prompt
    from medqa_trainer.session import build_session

    cuda = torch.cuda.is_available()
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        folder = Path(tmp)
        windows = args.steps * args.batch_size
        train_file = packed_export(folder, copies=max(2, windows * args.seq_len // 800 + 2))
        config = resolve_config(
            {
                "preset": "recommended",
                "model_name_or_path": model_path,
                "train_file": str(train_file),
                "output_dir": str(folder / "run"),
                "quantization": quantization,
                "max_steps": args.steps,
                "per_device_train_batch_size": args.batch_size,
                "gradient_accumulation_steps": 1,
                "max_length": args.seq_len,
                "packing": True,
                "padding": "longest",
                "group_by_length": False,
                "learning_rate": 2e-4,
                "warmup_ratio": 0.0,
                "lora_target_modules": ["all-linear"],
                "logging_steps": 1,
                "eval_steps": 1_000_000,
                "save_steps": 1_000_000,
                "early_stopping_patience": 0,
            }
        )
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        loading = time.perf_counter()
        with EventWriter(folder / "events.jsonl") as writer:
            session = build_session(config, writer, 1, lambda *a, **k: None, save_run_config=False)
            loaded_seconds = time.perf_counter() - loading
            model = session.trainer.model
            precision = base_precision(model)
            training = time.perf_counter()
            session.trainer.train()
            if cuda:
                torch.cuda.synchronize()
            train_seconds = time.perf_counter() - training
        steps = [e for e in read_events(folder / "events.jsonl") if e["event"] == "step"]
        speeds = [e["tokens_per_second"] for e in steps[1:] if e.get("tokens_per_second")]
        peak_train = torch.cuda.max_memory_allocated() if cuda else None

        model.eval()
        model.config.use_cache = True  # training turned the KV cache off; generation needs it
        tokenizer = session.trainer.processing_class
        decoding = Decoding(max_new_tokens=args.new_tokens)
        prompts = [render_prompt(tokenizer, messages, decoding) for messages in questions(args.eval_batch)]
        generate_batch(model, tokenizer, prompts[:1], Decoding(max_new_tokens=2))  # warm-up (kernels, caches)
        if cuda:
            torch.cuda.synchronize()
        generating = time.perf_counter()
        answers = generate_batch(model, tokenizer, prompts, decoding) or []
        if cuda:
            torch.cuda.synchronize()
        generate_seconds = time.perf_counter() - generating
        new_tokens = sum(a.new_tokens for a in answers)
        return {
            "quantization": quantization,
            "base_precision": precision,
            "device": session.plan.device,
            "load_seconds": round(loaded_seconds, 2),
            "train": {
                "steps": len(steps),
                "batch_size": args.batch_size,
                "seq_len": args.seq_len,
                "seconds": round(train_seconds, 2),
                "tokens_per_second": round(statistics.median(speeds), 2) if speeds else None,
                "first_loss": steps[0]["loss"] if steps else None,
                "loss_after_steps": steps[-1]["loss"] if steps else None,
                "peak_gpu_memory_mib": round(peak_train / 2**20, 1) if peak_train is not None else None,
            },
            "evaluation": {
                "questions": len(prompts),
                "max_new_tokens": args.new_tokens,
                "new_tokens": new_tokens,
                "seconds": round(generate_seconds, 2),
                "new_tokens_per_second": round(new_tokens / generate_seconds, 2)
                if generate_seconds
                else None,
            },
            "peak_gpu_memory_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def run_worker(args: argparse.Namespace, model_path: str, left: float) -> dict[str, Any]:
    """One mode in a fresh process, so peak memory and CUDA state belong to that mode alone."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, __file__, "--worker", args.worker_mode, "--worker-out", str(out)]
    command += ["--model", model_path, "--steps", str(args.steps), "--batch-size", str(args.batch_size)]
    command += ["--seq-len", str(args.seq_len), "--eval-batch", str(args.eval_batch)]
    command += ["--new-tokens", str(args.new_tokens)] + (["--cpu-smoke"] if args.cpu_smoke else [])
    started = time.perf_counter()
    try:
        done = subprocess.run(command, check=False, timeout=max(left, 1), capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {
            "quantization": args.worker_mode,
            "error": f"did not finish within the budget ({left:.0f} s left)",
        }
    result: dict[str, Any]
    if done.returncode == 0 and out.stat().st_size:
        result = json.loads(out.read_text(encoding="utf-8"))
    else:
        result = {
            "quantization": args.worker_mode,
            "error": f"exit {done.returncode}",
            "log": done.stderr[-4000:],
        }
    out.unlink(missing_ok=True)
    result["process_seconds"] = round(time.perf_counter() - started, 1)
    return result


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def compare(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    nf4, plain = results.get("nf4", {}), results.get("none", {})
    if "error" in nf4 or "error" in plain or not nf4 or not plain:
        return {}
    return {
        "reference": plain.get("base_precision"),
        "train_tokens_per_second_nf4_over_reference": ratio(
            nf4["train"]["tokens_per_second"], plain["train"]["tokens_per_second"]
        ),
        "peak_gpu_memory_nf4_over_reference": ratio(nf4["peak_gpu_memory_mib"], plain["peak_gpu_memory_mib"]),
        "peak_rss_nf4_over_reference": ratio(nf4["peak_rss_mib"], plain["peak_rss_mib"]),
        "evaluation_tokens_per_second_nf4_over_reference": ratio(
            nf4["evaluation"]["new_tokens_per_second"], plain["evaluation"]["new_tokens_per_second"]
        ),
        "loss_after_steps": {
            "nf4": nf4["train"]["loss_after_steps"],
            "reference": plain["train"]["loss_after_steps"],
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model comes from the local catalogue, never the hub
    if args.worker:
        if not args.cpu_smoke:
            os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
        result = run_mode(args.worker, args, args.model)
        args.worker_out.write_text(json.dumps(result), encoding="utf-8")
        return 0
    started = time.perf_counter()
    import torch
    from medqa_trainer.catalog import install_hint, installed_path

    report: dict[str, Any] = {
        "check": "gpu_check",
        "cpu_smoke": args.cpu_smoke,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "nvidia_smi": nvidia_smi(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    if not args.cpu_smoke and not torch.cuda.is_available():
        smi = report["nvidia_smi"]
        why = "nvidia-smi is not installed" if not smi["found"] else f"nvidia-smi says: {smi['table'][-300:]}"
        print(
            f"gpu_check: no CUDA GPU ({why}; torch {torch.__version__} sees none). Run it on a machine with an "
            "NVIDIA GPU, or with --cpu-smoke to check the script itself on this CPU.",
            file=sys.stderr,
        )
        return 2
    folder = installed_path(args.model) if not Path(args.model).is_dir() else Path(args.model)
    if folder is None:
        print(f"gpu_check: {args.model} is not installed: {install_hint(args.model)}", file=sys.stderr)
        return 2
    report["model"] = {"name": args.model, "path": str(folder)}
    if torch.cuda.is_available():
        report["gpu"] = torch.cuda.get_device_name(0)
    results: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        left = args.budget_seconds - (time.perf_counter() - started)
        args.worker_mode = mode
        results[mode] = run_worker(args, str(folder), left) if left > 5 else {"error": "no budget left"}
        print(f"gpu_check: {mode}: {json.dumps(results[mode])[:600]}", file=sys.stderr)
    report["modes"] = results
    report["comparison"] = compare(results)
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"gpu_check: wrote {args.out} in {report['seconds']} s")
    failed = [mode for mode, result in results.items() if "error" in result]
    wrong = results.get("nf4", {}).get("base_precision") not in (None, "nf4")
    if wrong:
        print("gpu_check: quantization nf4 loaded a base that is not 4-bit NF4", file=sys.stderr)
    return 1 if failed or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
