"""`export-onnx`: a base model (+ optional merged LoRA adapter) as an ONNX folder that transformers.js loads.

The folder is built beside `--out` under a temporary name, checked with onnxruntime against PyTorch, and renamed
into place with `medqa-onnx.json` written last, so a crashed export never looks complete (docs/protocol.md,
"ONNX export folder"). Why torch.onnx and not optimum-onnx: see trainer/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from medqa_trainer.atomic import replace_dir, write_text_atomic

MANIFEST_NAME = "medqa-onnx.json"
MANIFEST_FORMAT = "medqa-onnx-export"
MANIFEST_VERSION = 1
ONNX_RELATIVE = Path("onnx") / "model.onnx"
WHY_NOT_OPTIMUM = (
    "optimum-onnx 0.1.0 (the latest release) requires transformers<4.58 and optimum~=2.1, and medqa_trainer pins "
    "transformers 5.23.0, so it cannot be installed beside the trainer; torch.onnx exports the same "
    "decoder-with-past layout instead"
)
# Rough 2-core CPU rates from SmolLM2-135M (export 24 s, validation ~1 s per prompt at 16 tokens), for estimates.
EXPORT_SECONDS_PER_MILLION_PARAMS = 0.2
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", default=None, help="local model folder, catalogue name or hub id (not with --from-export)"
    )
    parser.add_argument("--adapter", default=None, help="LoRA checkpoint folder to merge before export")
    parser.add_argument("--out", required=True, type=Path, help="the export folder to write")
    parser.add_argument(
        "--force", action="store_true", help="replace --out even if it is not a previous export"
    )
    parser.add_argument(
        "--exporter",
        choices=("torchscript", "dynamo"),
        default="torchscript",
        help="torch.onnx exporter (default torchscript: same logits, much faster to export)",
    )
    parser.add_argument(
        "--questions",
        type=Path,
        default=None,
        help="validation questions, one per line (default: three MedQuAD-style questions)",
    )
    parser.add_argument("--validation-max-new-tokens", type=int, default=16)
    parser.add_argument(
        "--tolerance", type=float, default=None, help="max abs logit difference allowed (default 1e-3)"
    )
    add_quantize_arguments(parser)


def add_quantize_arguments(parser: argparse.ArgumentParser) -> None:
    from medqa_trainer.onnx_quantize import (
        DEFAULT_AGREEMENT_TOKENS,
        DEFAULT_BLOCK_SIZE,
        MIN_AGREEMENT,
        QUANTIZE_CHOICES,
    )

    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_CHOICES,
        default="none",
        help="weight-only quantisation with onnxruntime's MatMulNBits quantiser: int4 (smallest, fastest) or int8 "
        "(closest to fp32); checked against the fp32 graph by token agreement (default none: fp32)",
    )
    parser.add_argument(
        "--from-export",
        type=Path,
        default=None,
        help="quantise this existing fp32 export instead of exporting the model again (with --quantize)",
    )
    parser.add_argument(
        "--block-size", type=int, default=DEFAULT_BLOCK_SIZE, help="weights per fp32 scale (default 32)"
    )
    parser.add_argument(
        "--agreement-max-new-tokens",
        type=int,
        default=DEFAULT_AGREEMENT_TOKENS,
        help=f"greedy tokens per question compared with the fp32 graph (default {DEFAULT_AGREEMENT_TOKENS})",
    )
    parser.add_argument(
        "--min-agreement",
        type=float,
        default=None,
        help="least share of tokens on which the quantised graph picks the fp32 graph's token (default "
        + ", ".join(f"{k} {v}" for k, v in MIN_AGREEMENT.items())
        + ")",
    )


PHASES = ("load", "export", "validate", "write")


def say(message: str) -> None:
    print(f"export-onnx: {message}", file=sys.stderr, flush=True)


def phase_line(name: str, message: str) -> str:
    """`export-onnx: [2/4] exporting …`: the numbered lines mark where the export is, so the extension can show
    phases and move its progress by them (docs/protocol.md, "ONNX export folder"); other `export-onnx:` lines are
    details inside the current phase."""
    return f"[{PHASES.index(name) + 1}/{len(PHASES)}] {message}"


def say_phase(name: str, message: str) -> None:
    say(phase_line(name, message))


def is_previous_export(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT


def check_out(out: Path, sources: list[Path], force: bool) -> Path:
    """The resolved --out; refuses a folder inside a source and a non-export folder that would be replaced."""
    from medqa_trainer.onnx_sources import ExportInputError

    target = out.expanduser().resolve()
    for source in sources:
        if target == source or source in target.parents:
            raise ExportInputError(
                f"--out {target} is inside {source}; an export never writes into its sources"
            )
        if target in source.parents:
            raise ExportInputError(f"--out {target} contains {source}; replacing it would delete a source")
    if target.exists() and not target.is_dir():
        raise ExportInputError(f"--out {target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not is_previous_export(target) and not force:
        raise ExportInputError(
            f"--out {target} exists and is not a previous export (no {MANIFEST_NAME}); "
            "choose another folder or pass --force to replace it"
        )
    return target


def file_record(folder: Path) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        records[path.relative_to(folder).as_posix()] = {
            "sha256": digest.hexdigest(),
            "bytes": path.stat().st_size,
        }
    return records


def write_tokenizer_files(tokenizer: Any, source_folder: Path | None, folder: Path) -> None:
    """The source's own tokenizer files when it is a folder (byte for byte, as the hub has them), else
    save_pretrained. transformers.js reads the chat template from tokenizer_config.json, so it is put there
    too when the source keeps it only in chat_template.jinja (as transformers 5 does)."""
    copied = False
    if source_folder is not None and (source_folder / "tokenizer.json").is_file():
        for name in TOKENIZER_FILES:
            if (source_folder / name).is_file():
                shutil.copyfile(source_folder / name, folder / name)
        copied = True
    else:
        tokenizer.save_pretrained(str(folder))
    config_path = folder / "tokenizer_config.json"
    config: dict[str, Any] = (
        json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    )
    before = dict(config)
    for loading_option in ("is_local", "local_files_only"):  # save_pretrained writes how it was loaded
        config.pop(loading_option, None)
    template = getattr(tokenizer, "chat_template", None)
    if template and not config.get("chat_template"):
        config["chat_template"] = template
    if config != before or not copied:
        config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    special = folder / "special_tokens_map.json"
    if not special.is_file():
        tokens = {key: value for key, value in tokenizer.special_tokens_map.items() if value}
        special.write_text(json.dumps(tokens, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_questions(path: Path | None) -> list[str]:
    from medqa_trainer.onnx_sources import ExportInputError
    from medqa_trainer.onnx_validate import DEFAULT_QUESTIONS

    if path is None:
        return list(DEFAULT_QUESTIONS)
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except OSError as error:
        raise ExportInputError(f"--questions {path} cannot be read: {error}") from error
    questions = [line for line in lines if line]
    if not questions:
        raise ExportInputError(f"--questions {path} has no questions (one per line)")
    return questions


def optimum_available() -> bool:
    try:
        return importlib.util.find_spec("optimum.exporters.onnx") is not None
    except ImportError:  # optimum without its exporters package
        return False


def replace_folder(built: Path, target: Path) -> None:
    """Moves the finished folder into place so that a crash at any moment leaves a complete export at `target`
    (the earlier one or the new one): the two are swapped in one step where the system can (see
    atomic.replace_dir); the earlier export is removed only once the new one is in place."""
    replace_dir(built, target)


def run(args: argparse.Namespace) -> int:
    from medqa_trainer.onnx_graph import UnsupportedArchitectureError
    from medqa_trainer.onnx_quantize import QuantizationError
    from medqa_trainer.onnx_sources import ExportInputError
    from medqa_trainer.onnx_validate import ValidationFailedError

    try:
        export(args)
    except (
        ExportInputError,
        UnsupportedArchitectureError,
        ValidationFailedError,
        QuantizationError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1 if isinstance(error, (ValidationFailedError, QuantizationError)) else 2
    return 0


def check_quantize_arguments(args: argparse.Namespace) -> None:
    from medqa_trainer.onnx_sources import ExportInputError

    if args.from_export is not None and args.quantize == "none":
        raise ExportInputError(
            "--from-export quantises an existing export: give --quantize int8 or int4 with it"
        )
    if args.from_export is not None and (args.model is not None or args.adapter is not None):
        raise ExportInputError(
            "--from-export takes the model and adapter from that export's manifest: drop --model and --adapter"
        )
    if args.from_export is None and args.model is None:
        raise ExportInputError(
            "give --model (a folder, catalogue name or hub id), or --from-export with --quantize"
        )
    if args.block_size < 16 or args.block_size & (args.block_size - 1):
        raise ExportInputError(f"--block-size {args.block_size}: give a power of two, 16 or more (e.g. 32)")
    if args.min_agreement is not None and not 0 <= args.min_agreement <= 1:
        raise ExportInputError(
            f"--min-agreement {args.min_agreement}: give a share between 0 and 1 (e.g. 0.7)"
        )
    if args.agreement_max_new_tokens < 1:
        raise ExportInputError("--agreement-max-new-tokens must be at least 1")


def export(args: argparse.Namespace) -> Path:
    from medqa_trainer.onnx_graph import check_supported
    from medqa_trainer.onnx_sources import load_config, read_adapter, resolve_model

    started = time.monotonic()
    check_quantize_arguments(args)
    if args.from_export is not None:
        return export_quantized_from(args, started)
    source = resolve_model(args.model)
    adapter = read_adapter(args.adapter) if args.adapter else None
    sources = [
        p for p in (Path(source.resolved) if source.local else None, adapter.folder if adapter else None) if p
    ]
    target = check_out(args.out, sources, args.force)
    questions = read_questions(args.questions)
    config = load_config(source)
    check_supported(config, str(Path(source.resolved) / "config.json") if source.local else source.given)
    if optimum_available():
        say(
            "optimum is importable here, but export-onnx uses torch.onnx for the same graph on every install "
            "(optimum-onnx cannot be installed with transformers 5)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    reference = target.with_name(f".{target.name}.fp32-{os.getpid()}")
    try:
        if args.quantize == "none":
            manifest = _build(args, source, adapter, config, questions, building, started)
        else:
            # The fp32 graph, validated against PyTorch, is what the quantised one is checked against; only the
            # quantised folder is kept (quantise a kept fp32 export with --from-export instead).
            shutil.rmtree(reference, ignore_errors=True)
            reference.mkdir()
            reference_manifest = _build(args, source, adapter, config, questions, reference, started)
            manifest = build_quantized(
                args, reference, reference_manifest, None, questions, building, started
            )
        replace_folder(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(reference, ignore_errors=True)
    size = sum(record["bytes"] for record in manifest["files"].values())
    say(f"done: {target} ({size / 1e6:.1f} MB, {time.monotonic() - started:.0f} s)")
    return target


def _build(
    args: argparse.Namespace,
    source: Any,
    adapter: Any,
    config: Any,
    questions: list[str],
    building: Path,
    started: float,
) -> dict[str, Any]:
    from medqa_trainer.onnx_graph import export_decoder, parameter_bytes
    from medqa_trainer.onnx_sources import load_merged_model, load_tokenizer
    from medqa_trainer.onnx_validate import LOGIT_TOLERANCE, ValidationFailedError, validate

    say_phase(
        "load",
        f"loading {source.given}" + (f" ({source.resolved})" if source.resolved != source.given else ""),
    )
    tokenizer = load_tokenizer(source)
    model = load_merged_model(source, adapter, say)
    millions = parameter_bytes(model) / 4e6
    say_phase(
        "export",
        f"exporting {millions:.0f} M parameters with torch.onnx ({args.exporter}), fp32; "
        f"about {max(5, millions * EXPORT_SECONDS_PER_MILLION_PARAMS * (6 if args.exporter == 'dynamo' else 1)):.0f} s",
    )
    record = export_decoder(model, building / ONNX_RELATIVE, args.exporter)
    say(f"exported in {record['seconds']:.0f} s")
    say_phase(
        "validate",
        f"validating with onnxruntime on {len(questions)} prompts x {args.validation_max_new_tokens} greedy "
        "tokens against PyTorch",
    )
    tolerance = LOGIT_TOLERANCE if args.tolerance is None else args.tolerance
    report = validate(
        model, tokenizer, building / ONNX_RELATIVE, questions, args.validation_max_new_tokens, tolerance, say
    )
    say(
        f"validation: max abs logit diff {report.max_abs_logit_diff:.2e} (tolerance {tolerance:g}), greedy "
        f"identical on {report.greedy_identical}/{report.prompts} prompts"
    )
    if not report.passed:
        raise ValidationFailedError(f"the ONNX graph does not match PyTorch: {report.failure()}")
    say_phase("write", "writing config, tokenizer and manifest")
    model.config.to_json_file(str(building / "config.json"))
    model.generation_config.to_json_file(str(building / "generation_config.json"))
    write_tokenizer_files(tokenizer, Path(source.resolved) if source.local else None, building)
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "model": {"given": source.given, "resolved": source.resolved},
        "model_type": config.model_type,
        "adapter": str(adapter.folder) if adapter else None,
        "step": adapter.step if adapter else None,
        # "nf4": a QLoRA adapter, merged into its 4-bit base de-quantised to fp32 (onnx_sources.load_merged_model)
        "adapter_trained_base": adapter.trained_base if adapter else None,
        "export": {**record, "why_not_optimum": WHY_NOT_OPTIMUM},
        "files": file_record(building),
        "validation": report.as_dict(),
        "quantization": None,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.monotonic() - started, 1),
    }
    # Last, so a folder with a manifest is a complete export.
    write_text_atomic(building / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_reference_export(folder_arg: Path) -> tuple[Path, dict[str, Any]]:
    """A complete fp32 export (manifest, validated against PyTorch) to quantise; messages name what is wrong."""
    from medqa_trainer.onnx_sources import ExportInputError

    folder = folder_arg.expanduser().resolve()
    manifest_path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise ExportInputError(f"--from-export {folder} does not exist")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError:
        raise ExportInputError(
            f"{manifest_path} is missing: {folder} is not a complete export-onnx folder"
        ) from None
    except ValueError as error:
        raise ExportInputError(f"{manifest_path} is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ExportInputError(f"{manifest_path} is not an export-onnx manifest (format {MANIFEST_FORMAT!r})")
    if manifest.get("quantization"):
        scheme = manifest["quantization"].get("scheme")
        raise ExportInputError(
            f"{folder} is already quantised ({scheme}); --from-export needs the fp32 export it was made from"
        )
    if not (manifest.get("validation") or {}).get("passed"):
        raise ExportInputError(f"{manifest_path}: this export did not pass its validation against PyTorch")
    if not (folder / ONNX_RELATIVE).is_file():
        raise ExportInputError(f"{folder / ONNX_RELATIVE} is missing: export the model again")
    return folder, manifest


def export_quantized_from(args: argparse.Namespace, started: float) -> Path:
    """`--from-export DIR --quantize int4|int8`: the quantised sibling of a kept fp32 export."""
    reference, reference_manifest = read_reference_export(args.from_export)
    target = check_out(args.out, [reference], args.force)
    questions = read_questions(args.questions)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        manifest = build_quantized(
            args, reference, reference_manifest, reference, questions, building, started
        )
        replace_folder(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    size = sum(record["bytes"] for record in manifest["files"].values())
    say(f"done: {target} ({size / 1e6:.1f} MB, {time.monotonic() - started:.0f} s)")
    return target


def build_quantized(
    args: argparse.Namespace,
    reference: Path,
    reference_manifest: dict[str, Any],
    kept_reference: Path | None,
    questions: list[str],
    building: Path,
    started: float,
) -> dict[str, Any]:
    """Quantises `reference`'s graph into `building`, checks it against the fp32 graph, writes the manifest.
    With --from-export the four phases are this job's; after a fresh fp32 export they are details of its last."""
    from types import SimpleNamespace

    from transformers import AutoTokenizer, GenerationConfig

    from medqa_trainer.generation import Decoding, render_prompt, stop_ids
    from medqa_trainer.onnx_quantize import (
        MIN_AGREEMENT,
        QuantizationError,
        measure_agreement,
        quantize_graph,
    )

    def step(name: str, message: str) -> None:
        if kept_reference is not None:
            say_phase(name, message)
        else:
            say(message)

    step("load", f"loading the fp32 export {reference}")
    tokenizer = AutoTokenizer.from_pretrained(str(reference), local_files_only=True)
    generation = SimpleNamespace(generation_config=GenerationConfig.from_pretrained(str(reference)))
    fp32_bytes = sum(r["bytes"] for r in reference_manifest["files"].values())
    step(
        "export",
        f"quantising to {args.quantize} with onnxruntime" + f" (MatMulNBits, block size {args.block_size})",
    )
    external = (reference / ONNX_RELATIVE.with_name("model.onnx_data")).is_file()
    record = quantize_graph(
        reference / ONNX_RELATIVE, building / ONNX_RELATIVE, args.quantize, args.block_size, external
    )
    say(f"quantised {record['quantized_nodes']} MatMuls in {record['seconds']:.0f} s")
    minimum = MIN_AGREEMENT[args.quantize] if args.min_agreement is None else args.min_agreement
    step(
        "validate",
        f"comparing with the fp32 graph on {len(questions)} prompts x {args.agreement_max_new_tokens} greedy tokens",
    )
    prompts = [render_prompt(tokenizer, [{"role": "user", "content": q}], Decoding()) for q in questions]
    report = measure_agreement(
        reference / ONNX_RELATIVE,
        building / ONNX_RELATIVE,
        prompts,
        args.agreement_max_new_tokens,
        set(stop_ids(tokenizer, generation)),
        minimum,
        say,
    )
    say(
        f"agreement with fp32: {report.agreement:.1%} of {report.tokens} tokens (minimum {minimum:.0%}), greedy "
        f"identical on {report.greedy_identical}/{report.questions} prompts"
    )
    if not report.passed:
        raise QuantizationError(
            f"the {args.quantize} graph does not follow the fp32 export: {report.failure()}"
        )
    step("write", "writing config, tokenizer and manifest")
    for path in sorted(reference.iterdir()):
        if path.is_file() and path.name != MANIFEST_NAME:
            shutil.copyfile(path, building / path.name)
    reference_model = reference_manifest["files"][ONNX_RELATIVE.as_posix()]
    # The fp32 export's own fields (model, adapter, step, export, and validation: its check against PyTorch; the
    # quantised graph's check is quantization.agreement), with this folder's files.
    manifest = {
        **reference_manifest,
        "files": file_record(building),
        "quantization": {
            **record,
            "reference": {
                "dir": str(kept_reference) if kept_reference is not None else None,
                "model_sha256": reference_model["sha256"],
                "bytes": fp32_bytes,
            },
            "agreement": report.as_dict(),
        },
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.monotonic() - started, 1),
    }
    write_text_atomic(building / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    return manifest
