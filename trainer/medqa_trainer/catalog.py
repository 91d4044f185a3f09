"""The local model catalogue: named base models that need no hub (contract #4 in docs/protocol.md).

`catalog.json` beside this file is the one list; the extension bundles the same file. An installed model is a
plain Hugging Face folder under the models directory with `medqa-model.json` written last, so a folder without
that manifest is an interrupted install and counts as not installed. Importing this module does not import torch.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.json")
MANIFEST_NAME = "medqa-model.json"
MODELS_DIR_ENV = "MEDQA_MODELS_DIR"
HUB_HOST = "huggingface.co"
HUB_PROBE_SECONDS = 3.0


class ModelNotInstalledError(FileNotFoundError):
    """A catalogue name whose model is not installed; the message says how to install it."""


class HubUnreachableError(ConnectionError):
    """A hub id was asked for, the hub cannot be reached and the model is not in the local hub cache."""


@dataclass(frozen=True)
class CatalogModel:
    name: str
    title: str
    summary: str
    architecture: str
    parameters: int
    license: str
    chat_template: str
    hub_id: str
    source: dict[str, str]

    @property
    def package(self) -> str:
        return self.source["package"]

    @property
    def version(self) -> str:
        return self.source["version"]


def load_catalog() -> list[CatalogModel]:
    document: dict[str, Any] = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return [CatalogModel(**entry) for entry in document["models"]]


def find(name: str) -> CatalogModel | None:
    return next((model for model in load_catalog() if model.name == name), None)


def models_dir() -> Path:
    """`$MEDQA_MODELS_DIR`, else `$XDG_CACHE_HOME/medqa-studio/models` (`~/.cache/...`)."""
    configured = os.environ.get(MODELS_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "medqa-studio" / "models"


def install_dir(name: str, root: Path | None = None) -> Path:
    return (root or models_dir()) / name


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest


def installed_path(name: str, root: Path | None = None) -> Path | None:
    folder = install_dir(name, root)
    return folder if read_manifest(folder) is not None else None


def install_hint(name: str) -> str:
    return f"python -m medqa_trainer models install {name}"


def local_models_sentence() -> str:
    """One sentence naming the catalogue models and whether each is installed (for error messages)."""
    parts = []
    for model in load_catalog():
        state = "installed" if installed_path(model.name) else f"not installed: {install_hint(model.name)}"
        parts.append(f"{model.name} ({state})")
    return "Local models that need no hub: " + "; ".join(parts) + "."


def resolve_model(name_or_path: str) -> str:
    """A catalogue name becomes its installed folder; anything else is returned unchanged.

    Raises ModelNotInstalledError for a catalogue name that is not installed, so a run fails at once with the
    command to run instead of a hub error about a repository called `smollm2-135m-instruct`.
    """
    model = find(name_or_path)
    if model is None:
        return name_or_path
    path = installed_path(model.name)
    if path is None:
        raise ModelNotInstalledError(
            f"the local model {model.name} is not installed in {models_dir()}; "
            f"install it with: {install_hint(model.name)}"
        )
    return str(path)


def hub_reachable(timeout: float = HUB_PROBE_SECONDS) -> bool:
    """A TCP connect to the hub (or `$HF_ENDPOINT`) within `timeout` seconds; no request is sent."""
    endpoint = os.environ.get("HF_ENDPOINT", f"https://{HUB_HOST}")
    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    hostname, _, port = host.partition(":")
    default_port = 80 if endpoint.startswith("http://") else 443
    try:
        with socket.create_connection((hostname, int(port or default_port)), timeout=timeout):
            return True
    except OSError:
        return False


def _hub_cached(model_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    found = try_to_load_from_cache(model_id, "config.json")
    return isinstance(found, str)


def check_hub_model(model_id: str) -> None:
    """Fail within seconds for a hub id when the hub is unreachable, instead of after a long download timeout.

    A model already in the local hub cache is used offline (HF_HUB_OFFLINE is set for this process).
    """
    if os.environ.get("HF_HUB_OFFLINE") == "1" and _hub_cached(model_id):
        return
    if hub_reachable():
        return
    if _hub_cached(model_id):
        os.environ["HF_HUB_OFFLINE"] = "1"
        return
    raise HubUnreachableError(
        f"cannot reach {HUB_HOST} to download {model_id} (no connection within {HUB_PROBE_SECONDS:.0f} s) and "
        f"it is not in the local hub cache. {local_models_sentence()} Use one as model_name_or_path."
    )


def looks_like_path(name: str) -> bool:
    """Hub ids are `name` or `namespace/name`; anything absolute, relative-marked or deeper is a folder."""
    return name.startswith(("/", "./", "../", "~")) or name.count("/") > 1 or "\\" in name


def prepare_model_reference(name_or_path: str) -> str:
    """What train and evaluate call before loading: catalogue names -> folders, hub ids -> a fast reachability check."""
    resolved = resolve_model(name_or_path)
    if not looks_like_path(resolved) and not Path(resolved).exists():
        check_hub_model(resolved)
    return resolved
