"""The run folder: checkpoints, resume targets, trainer.pid, traceback.txt, DeepSpeed presets, environment."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
import traceback
from pathlib import Path
from typing import Any

from medqa_trainer.config import ConfigError

CONFIGS_DIR = Path(__file__).parent / "configs"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints (trainer_state.json written last by transformers), oldest first."""
    if not output_dir.is_dir():
        return []
    found = []
    for child in output_dir.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and (child / "trainer_state.json").is_file():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def resolve_resume(resume: str | None, output_dir: Path) -> Path | None:
    if resume is None:
        return None
    if resume == "latest":
        found = checkpoints(output_dir)
        if not found:
            raise ConfigError(f"--resume latest: {output_dir} has no complete checkpoint-<step> folder")
        return found[-1]
    path = Path(resume)
    if not (path / "trainer_state.json").is_file():
        raise ConfigError(f"--resume {resume}: not a checkpoint folder (no trainer_state.json in it)")
    return path.resolve()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_trainer_pid(output_dir: Path) -> int | None:
    """The PID in trainer.pid if that process still runs (another trainer owns the folder)."""
    try:
        pid = int((output_dir / "trainer.pid").read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if pid != os.getpid() and pid_alive(pid) else None


def write_pid(output_dir: Path) -> Path:
    path = output_dir / "trainer.pid"
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    return path


def remove_pid(output_dir: Path) -> None:
    path = output_dir / "trainer.pid"
    try:
        if path.read_text(encoding="utf-8").strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass


def write_traceback(output_dir: Path, error: BaseException) -> Path | None:
    path = output_dir / "traceback.txt"
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    except OSError:
        return None
    return path


def resolve_deepspeed(value: str | None) -> Path | None:
    """A preset name (a JSON file in medqa_trainer/configs/) or a path to a DeepSpeed JSON config."""
    if value is None:
        return None
    preset = CONFIGS_DIR / f"deepspeed-{value}.json"
    if preset.is_file():
        return preset
    path = Path(value)
    if path.is_file():
        return path.resolve()
    names = sorted(p.stem.removeprefix("deepspeed-") for p in CONFIGS_DIR.glob("deepspeed-*.json"))
    raise ConfigError(f"deepspeed: {value!r} is neither a preset ({', '.join(names)}) nor a JSON file")


def deepspeed_plan(value: str | None, cuda: bool, world_size: int) -> tuple[Path | None, str | None]:
    """(config to use, reason it is not used). DeepSpeed only pays off (and only runs) on multi-GPU CUDA."""
    path = resolve_deepspeed(value)
    if path is None:
        return None, None
    if not cuda:
        return None, f"DeepSpeed ({value}) needs CUDA; this CPU run trains without it."
    if world_size < 2:
        return (
            None,
            f"DeepSpeed ({value}) applies to multi-GPU launches; this single-process run trains without it.",
        )
    if importlib.util.find_spec("deepspeed") is None:
        return (
            None,
            "deepspeed is not installed (pip install -r trainer/requirements-cuda.txt); training without it.",
        )
    return path, None


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment(device: str, base_precision: str, world_size: int) -> dict[str, Any]:
    """`base_precision`: how the frozen base weights are held (`nf4` for QLoRA, `bf16` or `fp32`)."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": package_version("torch") or "unknown",
        "device": device,
        "qlora": base_precision == "nf4",
        "base_precision": base_precision,
        "world_size": world_size,
    }
    for name in ("transformers", "peft", "accelerate", "bitsandbytes", "deepspeed"):
        version = package_version(name)
        if version is not None:
            env[name] = version
    return env


def trained_base_precision(adapter: Path) -> str | None:
    """How the base model was held while the adapter at `adapter` (<run>/adapter or <run>/checkpoint-N) was trained,
    from its run's config.yaml: `nf4`, `bf16`, `fp32`, or None when the folder is not in a run of this trainer (an
    imported adapter). Runs from before `base_precision` was recorded say `qlora: true|false`."""
    import yaml

    try:
        saved = yaml.safe_load((adapter.parent / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    info = saved.get("run_info") if isinstance(saved, dict) else None
    env = info.get("environment") if isinstance(info, dict) else None
    if not isinstance(env, dict):
        return None
    precision = env.get("base_precision")
    if isinstance(precision, str):
        return precision
    qlora = env.get("qlora")
    return ("nf4" if qlora else "fp32") if isinstance(qlora, bool) else None
