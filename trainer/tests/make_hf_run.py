"""Writes a real Hugging Face `Trainer` output folder (transformers `Trainer` + a peft LoRA adapter) for the
extension's "Import Hugging Face Run" tests, the way a plain `Trainer`/`SFTTrainer` script leaves it:

    <out>/trainer_state.json            (trainer.save_state(), unless --no-final-state)
    <out>/adapter_config.json           (trainer.save_model(): the final adapter)
    <out>/adapter_model.safetensors
    <out>/checkpoint-<step>/            (every --save-steps: adapter, trainer_state.json, optimizer, scheduler, rng)

It trains the tiny random Qwen3 (`make-tiny-model`, or $MEDQA_TEST_TINY_MODEL) on the chat fixture for a few steps
on the CPU, with an evaluation every --eval-steps and the best checkpoint by eval loss recorded.

    python tests/make_hf_run.py --model TINY_MODEL_DIR --out DIR [--steps 8] [--strip-weights]

`--strip-weights` then keeps only the JSON that describes the run (KEPT_FILES) and deletes the rest: weights,
optimizer/scheduler/RNG states, training_args.bin, the 11 MB tokenizer.json, model cards. That is how the extension's
test/fixtures/hf-run/ was made: the reader must find curves and checkpoints without any of them.

`--tensorboard` also logs through the Trainer's own TensorBoard callback (event files in <out>/runs/tiny/), and
`--no-trainer-state` then deletes every trainer_state.json: a folder whose curves exist only as TensorBoard logs.
`--strip-weights` keeps the event files and writes `tensorboard-scalars.json` beside the folder: every scalar as
TensorBoard's own EventAccumulator reads it, which the extension's reader is checked against. That is how
test/fixtures/hf-tensorboard-run/ was made:

    python tests/make_hf_run.py --model TINY --out ../test/fixtures/hf-tensorboard-run --steps 6 --eval-steps 3 \
        --save-steps 3 --tensorboard --no-final-state --no-trainer-state --strip-weights
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent
CHAT_FIXTURE = TESTS_DIR / "fixtures" / "chat-export"
# What a stripped fixture keeps: the JSON that describes the run and its adapters (no tensors, no pickles).
KEPT_FILES = ("trainer_state.json", "adapter_config.json", "tokenizer_config.json")
TENSORBOARD_FILE_PREFIX = "events.out.tfevents."


def _examples(tokenizer: Any, file: Path, limit: int, max_length: int) -> list[dict[str, list[int]]]:
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()][
        :limit
    ]
    examples = []
    for row in rows:
        text = tokenizer.apply_chat_template(row["messages"], tokenize=False)
        ids = tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
        examples.append({"input_ids": ids, "attention_mask": [1] * len(ids)})
    return examples


def make_hf_run(
    model_dir: Path,
    out: Path,
    *,
    steps: int = 8,
    eval_steps: int = 2,
    save_steps: int = 4,
    train_examples: int = 8,
    batch_size: int = 2,
    final_state: bool = True,
    seed: int = 0,
    tensorboard: bool = False,
) -> Path:
    """Trains `steps` optimiser steps with the stock `Trainer` and returns `out` (the run folder)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForLanguageModeling,
        Trainer,
        TrainingArguments,
    )

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    lora_model = get_peft_model(
        model,
        LoraConfig(
            r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"
        ),
    )
    train = _examples(tokenizer, CHAT_FIXTURE / "train.jsonl", train_examples, 64)
    validation = _examples(tokenizer, CHAT_FIXTURE / "validation.jsonl", 4, 64)
    args = TrainingArguments(
        output_dir=str(out),
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=4,
        learning_rate=1e-2,
        lr_scheduler_type="linear",
        warmup_steps=0,
        logging_steps=1,
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=save_steps,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        report_to=["tensorboard"] if tensorboard else [],
        use_cpu=True,
        seed=seed,
        data_seed=seed,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    if tensorboard:  # a fixed folder name instead of the default runs/<date>_<host>
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(out / "runs" / "tiny")
    trainer = Trainer(
        model=lora_model,
        args=args,
        train_dataset=train,  # a list of dicts is a map-style dataset
        eval_dataset=validation,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
    )
    trainer.train()
    trainer.save_model()
    if final_state:
        trainer.save_state()
    return out


def strip_weights(folder: Path) -> list[Path]:
    """Deletes every file but KEPT_FILES (weights, optimizer/scheduler/RNG states, pickles, tokenizer, model cards)."""
    removed = []
    for path in sorted(folder.rglob("*")):
        if (
            path.is_file()
            and path.name not in KEPT_FILES
            and not path.name.startswith(TENSORBOARD_FILE_PREFIX)
        ):
            path.unlink()
            removed.append(path)
    return removed


def tensorboard_scalars(folder: Path) -> dict[str, list[dict[str, float]]]:
    """Every scalar of the folder's event files as TensorBoard's EventAccumulator reads them, by tag."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars: dict[str, list[dict[str, float]]] = {}
    for events in sorted({p.parent for p in folder.rglob(TENSORBOARD_FILE_PREFIX + "*")}):
        accumulator = EventAccumulator(str(events))
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            points = accumulator.Scalars(tag)
            scalars.setdefault(tag, []).extend(
                {"step": p.step, "value": p.value, "wall_time": p.wall_time} for p in points
            )
    return scalars


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=os.environ.get("MEDQA_TEST_TINY_MODEL"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--eval-steps", type=int, default=2)
    parser.add_argument("--save-steps", type=int, default=4)
    parser.add_argument("--no-final-state", action="store_true", help="skip trainer.save_state() at the end")
    parser.add_argument(
        "--strip-weights", action="store_true", help="keep only the JSON files that describe the run"
    )
    parser.add_argument(
        "--tensorboard", action="store_true", help="also log to TensorBoard (<out>/runs/tiny)"
    )
    parser.add_argument(
        "--no-trainer-state", action="store_true", help="delete every trainer_state.json at the end"
    )
    args = parser.parse_args(argv)
    if args.model is None or not (args.model / "config.json").is_file():
        parser.error("--model (or MEDQA_TEST_TINY_MODEL) must name a model folder with config.json")
    out = make_hf_run(
        args.model,
        args.out,
        steps=args.steps,
        eval_steps=args.eval_steps,
        save_steps=args.save_steps,
        final_state=not args.no_final_state,
        tensorboard=args.tensorboard,
    )
    if args.no_trainer_state:
        for path in out.rglob("trainer_state.json"):
            path.unlink()
    if args.strip_weights:
        for path in strip_weights(out):
            print(f"removed {path.relative_to(out)}", file=sys.stderr)
        if args.tensorboard:
            expected = out.parent / f"{out.name}.scalars.json"
            expected.write_text(json.dumps(tensorboard_scalars(out), indent=1) + "\n", encoding="utf-8")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
