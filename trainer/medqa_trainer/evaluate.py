"""`evaluate`: generate answers for a test split with a model (optionally + adapter) and score them.

Writes `predictions.jsonl` row by row as batches finish (so SIGTERM keeps everything generated so far),
then `metrics.json` over what exists, and eval_started / eval_progress / eval_finished events.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from medqa_trainer import hygiene
from medqa_trainer.engines import (
    DEFAULT_BATCH_SIZE,
    ENGINES,
    EngineArgumentError,
    OnnxEngine,
    TorchEngine,
    agreement,
    check_engine_arguments,
    check_export_matches,
    engine_label,
)
from medqa_trainer.events import EventWriter
from medqa_trainer.generation_onnx import ExportFolderError
from medqa_trainer.metrics import DEFAULT_RESAMPLES, DEFAULT_SEED, ScoredExamples
from medqa_trainer.metrics.grounding import cited_numbers
from medqa_trainer.metrics.text import concat_scored
from medqa_trainer.recorded_paths import recorded_model, recorded_path
from medqa_trainer.retrieval.augment import augment, check_no_leak, load_setup, token_counter
from medqa_trainer.retrieval.corpus import CorpusError
from medqa_trainer.retrieval.rag import Source
from medqa_trainer.sampling import stratified_sample
from medqa_trainer.score import (
    UNKNOWN_QTYPE,
    InputFileError,
    format_summary,
    json_lines,
    metrics_document,
    output_rows,
    score_rows,
    warn_long_texts,
    write_json,
)

CANCELLED_EXIT_CODE = 0  # a cancelled evaluation is a normal end: eval_finished carries cancelled=true


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    qtype: str
    prompt_messages: list[dict[str, str]]
    reference: str
    record: dict[str, Any] = field(default_factory=dict, compare=False)  # the line as read (focus, cuis, ...)


class DataFileError(InputFileError):
    action = "be evaluated"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=None,
        help="local model folder or hub id (with --engine onnx: read from the export)",
    )
    parser.add_argument(
        "--adapter", default=None, help="peft adapter folder (e.g. <run>/adapter or a checkpoint)"
    )
    parser.add_argument(
        "--data", required=True, type=Path, help="test.jsonl of a dataset export (chat messages)"
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="folder for predictions.jsonl, metrics.json, events"
    )
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"answers generated together (default: {DEFAULT_BATCH_SIZE['torch']} with PyTorch, "
        f"{DEFAULT_BATCH_SIZE['onnx']} with --engine onnx)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="evaluate K examples: a seeded sample (--seed) keeping each qtype's share",
    )
    parser.add_argument("--events", type=Path, default=None, help="events file (default: OUT/events.jsonl)")
    parser.add_argument("--do-sample", action="store_true", help="sample instead of greedy decoding")
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--top-p", type=float, default=None)
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--repetition-penalty", type=float, default=1.0)
    parser.add_argument("--enable-thinking", action="store_true", help="let Qwen3 think (off by default)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    parser.add_argument(
        "--quantization",
        default="auto",
        choices=["auto", "nf4", "none"],
        help="the base in 4-bit NF4 (bitsandbytes) or not; auto: as the adapter's run trained it (QLoRA: nf4)",
    )
    parser.add_argument(
        "--no-perplexity", action="store_true", help="skip the teacher-forced answer loss pass"
    )
    parser.add_argument(
        "--bootstrap", type=int, default=DEFAULT_RESAMPLES, help="bootstrap resamples for CIs"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="bootstrap seed (and sampling seed)")
    parser.add_argument(
        "--retrieval-index",
        type=Path,
        default=None,
        help="add the top-k sources of this index (index build) to each prompt; it must not hold a test pair",
    )
    parser.add_argument("--k", type=int, default=3, help="sources per prompt with --retrieval-index")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="torch",
        help="torch: PyTorch generate on --model/--adapter; onnx: onnxruntime on --export (the Playground's graph)",
    )
    parser.add_argument("--export", type=Path, default=None, help="export-onnx folder for --engine onnx")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="onnxruntime threads for --engine onnx (default: one per core)",
    )
    parser.add_argument(
        "--check-agreement",
        type=int,
        default=0,
        metavar="K",
        help="with --engine onnx: answer the first K examples with PyTorch too and record how many are identical",
    )
    parser.add_argument(
        "--retrieval-context-tokens",
        type=int,
        default=384,
        help="token budget of the user turn with its sources (passages are cut to fit)",
    )


def load_examples(path: Path, limit: int | None = None, seed: int = DEFAULT_SEED) -> list[Example]:
    """Examples from a contract-#1 JSONL file; every bad line is reported at once.

    `limit` takes a seeded sample that keeps each qtype's share, in file order (not the first rows, which all
    come from the first collection of an export).
    """
    if not path.is_file():
        raise DataFileError(path, [f"{path}: no such file"])
    examples: list[Example] = []
    problems: list[str] = []
    for line_no, where, row in json_lines(path, problems):
        messages = row.get("messages") if isinstance(row, dict) else None
        if not isinstance(messages, list) or not messages:
            problems.append(f"{where}: expected an object with a non-empty 'messages' list")
            continue
        if not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in messages
        ):
            problems.append(f"{where}: every message needs string 'role' and 'content'")
            continue
        if messages[-1]["role"] != "assistant" or not any(m["role"] == "user" for m in messages[:-1]):
            problems.append(f"{where}: messages must contain a user turn and end with the assistant's answer")
            continue
        question = [m["content"] for m in messages[:-1] if m["role"] == "user"][-1]
        examples.append(
            Example(
                id=str(row.get("id") or f"line-{line_no}"),
                question=question,
                qtype=str(row.get("qtype") or UNKNOWN_QTYPE),
                prompt_messages=[{"role": m["role"], "content": m["content"]} for m in messages[:-1]],
                reference=messages[-1]["content"],
                record=row,
            )
        )
    if not examples and not problems:
        problems.append(f"{path}: no examples (the file is empty)")
    if problems:
        raise DataFileError(path, problems)
    return examples if limit is None else stratified_sample(examples, limit, seed, lambda e: e.qtype)


def check_agreement(
    args: argparse.Namespace,
    engine: OnnxEngine,
    rows: list[dict[str, Any]],
    ordered_prompts: list[list[int]],
    decoding: Any,
    cancel: threading.Event,
) -> dict[str, Any] | None:
    """PyTorch answers to the first K examples, in the same batches as the ONNX engine answered them."""
    count = min(args.check_agreement, len(rows))
    print(f"checking agreement: PyTorch answers the first {count} examples too", file=sys.stderr)
    reference = TorchEngine.load(args.model, args.adapter, "float32")
    answers = []
    for start in range(0, count, args.batch_size):
        batch = ordered_prompts[start : min(start + args.batch_size, len(rows))]
        generated = reference.generate(batch, decoding, cancel)
        if generated is None:
            return None
        answers.extend(generated)
    result = agreement(rows[:count], answers[:count], engine.quantization)
    print(
        f"agreement with PyTorch: {result['identical']}/{result['examples']} answers identical; token F1 "
        f"{result['metrics']['f1']['onnx']} (onnx) vs {result['metrics']['f1']['torch']} (torch)",
        file=sys.stderr,
    )
    return result


class _Cancellation:
    """SIGTERM/SIGINT set an event instead of killing the process, so finished batches are kept."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self.event

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        print(
            f"medqa_trainer: {signal.Signals(signum).name} received; stopping after keeping finished answers",
            file=sys.stderr,
        )
        self.event.set()

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def evaluate(
    args: argparse.Namespace, events: EventWriter, cancel: threading.Event
) -> tuple[dict[str, Any], bool]:
    import torch

    from medqa_trainer import generation
    from medqa_trainer.modeling import base_precision_of, wants_nf4_base

    engine: TorchEngine | OnnxEngine | None = None
    if args.engine == "onnx":
        engine = OnnxEngine.load(args.export, args.threads)
        check_export_matches(engine.generator.export, args.model, args.adapter)
        args.model, args.adapter = engine.generator.export.model, engine.generator.export.adapter
    examples = load_examples(args.data, args.limit, args.seed)
    setup = None
    if args.retrieval_index is not None:
        setup = load_setup(args.retrieval_index, args.k, args.retrieval_context_tokens)
        check_no_leak(setup, [ex.record for ex in examples], "evaluated")
    decoding = generation.Decoding(
        max_new_tokens=args.max_new_tokens,
        do_sample=args.do_sample,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        repetition_penalty=args.repetition_penalty,
        seed=args.seed if args.do_sample else None,
        enable_thinking=args.enable_thinking,
        retrieval=setup.hash_part() if setup is not None else None,
        engine=engine_label(args.engine, engine.quantization if isinstance(engine, OnnxEngine) else "none"),
    )
    decoding_info = {**decoding.as_dict(), "hash": decoding.hash()}
    if engine is None:
        device, dtype = generation.pick_device_and_dtype(args.dtype)
        nf4 = wants_nf4_base(args.quantization, args.adapter)
        model, tokenizer = generation.load_model_and_tokenizer(
            args.model, args.adapter, device, dtype, nf4=nf4
        )
        engine = TorchEngine(model, tokenizer, device, dtype)
    tokenizer = engine.tokenizer
    if args.do_sample:
        torch.manual_seed(args.seed)
    given: list[list[Source]] | None = None
    if setup is not None:
        augmented, stats = augment(
            [{**ex.record, "messages": ex.prompt_messages} for ex in examples],
            setup,
            token_counter(tokenizer),
            exclude_own_group=False,
        )
        examples = [
            replace(ex, prompt_messages=r["messages"]) for ex, r in zip(examples, augmented, strict=True)
        ]
        given = stats.sources
        print(stats.notice(setup.context_tokens), file=sys.stderr)
    prompts = [generation.render_prompt(tokenizer, ex.prompt_messages, decoding) for ex in examples]
    # Longest prompts first: similar lengths share a batch (less padding), and memory trouble shows up at once.
    order = sorted(range(len(examples)), key=lambda i: -len(prompts[i]))
    out_dir: Path = args.out
    predictions_path = out_dir / "predictions.jsonl"
    events.emit(
        "eval_started", model=args.model, adapter=args.adapter, total=len(examples), decoding=decoding_info
    )
    rows: list[dict[str, Any]] = []
    parts: list[ScoredExamples] = []
    started = time.monotonic()
    cancelled = False
    with predictions_path.open("w", encoding="utf-8") as sink:
        for start in range(0, len(order), args.batch_size):
            batch_order = order[start : start + args.batch_size]
            batch = [examples[i] for i in batch_order]
            batch_prompts = [prompts[i] for i in order[start : start + args.batch_size]]
            generated = None if cancel.is_set() else engine.generate(batch_prompts, decoding, cancel)
            if generated is None:
                cancelled = True
                break
            batch_rows = [
                {
                    "id": ex.id,
                    "question": ex.question,
                    "qtype": ex.qtype,
                    "reference": ex.reference,
                    "prediction": g.text,
                    "truncated": g.truncated,
                    "new_tokens": g.new_tokens,
                    "decoding_hash": decoding_info["hash"],
                }
                for ex, g in zip(batch, generated, strict=True)
            ]
            if given is not None:
                for row, i in zip(batch_rows, batch_order, strict=True):
                    row["retrieved"] = [s.as_json() for s in given[i]]
                    row["cited"] = cited_numbers(row["prediction"])
            if not args.no_perplexity:
                targets = [generation.answer_ids(tokenizer, ex.reference) for ex in batch]
                losses = engine.losses(batch_prompts, targets)
                for row, (loss_sum, count) in zip(batch_rows, losses, strict=True):
                    row["loss_sum"], row["answer_tokens"] = loss_sum, count
            scored = score_rows(batch_rows)
            for record in output_rows(batch_rows, scored):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()
            rows.extend(batch_rows)
            parts.append(scored)
            events.emit("eval_progress", done=len(rows), total=len(examples))
    seconds = time.monotonic() - started
    if isinstance(engine, OnnxEngine) and args.check_agreement and rows and not cancelled:
        engine.agreement = check_agreement(args, engine, rows, [prompts[i] for i in order], decoding, cancel)
    scored_all = concat_scored(parts) if parts else score_rows([])
    document = metrics_document(
        rows,
        scored_all,
        source="evaluate",
        truncation_known=True,
        resamples=args.bootstrap,
        seed=args.seed,
        extra={
            # Relative to this file's folder where they lie in the same project (recorded_paths.py).
            "model": recorded_model(args.model, args.out),
            "adapter": recorded_path(args.adapter, args.out) if args.adapter else None,
            "data": recorded_path(args.data, args.out),
            "decoding": decoding_info,
            "retrieval": setup.describe(args.retrieval_index, args.out) if setup is not None else None,
            "cancelled": cancelled,
            "total": len(examples),
            "engine": engine.describe(args.out) if isinstance(engine, OnnxEngine) else engine.describe(),
            "runtime": {
                **engine.runtime(),
                "base_precision": base_precision_of(engine.model)
                if isinstance(engine, TorchEngine)
                else None,  # nf4: the 4-bit base a QLoRA adapter trained on
                "batch_size": args.batch_size,
                "seconds": round(seconds, 3),
                "examples_per_second": round(len(rows) / seconds, 4) if seconds else None,
            },
        },
    )
    return document, cancelled


def run(args: argparse.Namespace) -> int:
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.batch_size is None:
        args.batch_size = DEFAULT_BATCH_SIZE[args.engine]
    if args.batch_size < 1 or args.max_new_tokens < 1 or (args.limit is not None and args.limit < 0):
        print(
            "error: --batch-size and --max-new-tokens must be at least 1, --limit at least 0", file=sys.stderr
        )
        return 2
    try:
        check_engine_arguments(args)
        if args.engine == "torch" and args.model is None:
            raise EngineArgumentError("--model is required (a local model folder or hub id)")
    except EngineArgumentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    metrics_path = out_dir / "metrics.json"
    predictions_path = out_dir / "predictions.jsonl"
    with EventWriter(args.events or out_dir / "events.jsonl") as events, _Cancellation() as cancel:
        try:
            document, cancelled = evaluate(args, events, cancel)
        except (
            DataFileError,
            FileNotFoundError,
            CorpusError,
            ExportFolderError,
            EngineArgumentError,
        ) as error:
            print(f"error: {error}", file=sys.stderr)
            events.emit("run_failed", error=str(error).splitlines()[0], traceback_path=None)
            return 2
        except Exception as error:
            trace_path = out_dir / "traceback.txt"
            trace_path.write_text(traceback.format_exc(), encoding="utf-8")
            print(f"error: evaluation failed: {error} (traceback in {trace_path})", file=sys.stderr)
            events.emit(
                "run_failed", error=f"{type(error).__name__}: {error}", traceback_path=str(trace_path)
            )
            return 1
        write_json(metrics_path, document)
        events.emit(
            "eval_finished",
            n=document["n"],
            metrics_path=str(metrics_path),
            predictions_path=str(predictions_path),
            cancelled=cancelled,
        )
    hygiene.warn(
        document["hygiene"],
        hint="Extraction uses new token ids only; flagged rows are the model's own output.",
    )
    warn_long_texts(document)
    print(format_summary(document))
    state = "cancelled after" if cancelled else "evaluated"
    print(
        f"{state} {document['n']} of {document['total']} examples; wrote {metrics_path} and {predictions_path}"
    )
    return CANCELLED_EXIT_CODE if cancelled else 0
