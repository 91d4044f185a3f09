"""From a resolved TrainConfig to what transformers.Trainer needs: encoded data and TrainingArguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medqa_trainer.config import TrainConfig
from medqa_trainer.data import (
    DataError,
    Encoded,
    choose_max_length,
    encode_records,
    find_manifest,
    manifest_hash,
    read_chat_jsonl,
    truncate,
)
from medqa_trainer.presets import MAX_LENGTH_CAP, MAX_LENGTH_MULTIPLE, MAX_LENGTH_PERCENTILE
from medqa_trainer.sampling import stratified_sample


@dataclass
class PreparedData:
    train: list[Encoded]
    validation: list[Encoded] | None
    manifest_hash: str | None
    notices: list[tuple[str, str]] = field(default_factory=list)  # (code, message), level info


def _load(
    path: str, tokenizer: Any, config: TrainConfig, notices: list[tuple[str, str]]
) -> tuple[list[Encoded], list[str]]:
    records = with_retrieval(read_chat_jsonl(path), config, tokenizer, notices, training=True)
    ids = [str(r.get("id", f"line {i + 1}")) for i, r in enumerate(records)]
    return encode_records(tokenizer, records, config.system_prompt), ids


def with_retrieval(
    records: list[dict[str, Any]],
    config: TrainConfig,
    tokenizer: Any,
    notices: list[tuple[str, str]],
    *,
    training: bool,
) -> list[dict[str, Any]]:
    """Records with retrieved sources in their prompts (run.yaml retrieval_index); unchanged without one.

    Training prompts leave out the pair itself and its duplicate group; validation pairs must not be in the index
    at all, as evaluation requires (the same check, the same message).
    """
    if not config.retrieval_index:
        return records
    from medqa_trainer.retrieval.augment import augment, check_no_leak, load_setup, token_counter

    budget = config.retrieval_context_tokens
    if config.max_length is not None:
        budget = min(budget, config.max_length // 2)
    setup = load_setup(Path(config.retrieval_index), config.retrieval_k, max(budget, 64))
    if not training:
        check_no_leak(setup, records, "validation")
    augmented, stats = augment(records, setup, token_counter(tokenizer), exclude_own_group=training)
    code = "retrieval-train" if training else "retrieval-validation"
    notices.append((code, f"{'training' if training else 'validation'} {stats.notice(setup.context_tokens)}"))
    return augmented


def prepare_data(config: TrainConfig, tokenizer: Any) -> PreparedData:
    """Reads and encodes the data; sets `config.max_length` when it is left to the data (None)."""
    notices: list[tuple[str, str]] = []
    manifest = find_manifest(config.train_file, config.dataset_manifest)
    if manifest is not None and config.dataset_manifest is None:
        config.dataset_manifest = str(manifest)
    train_all, train_ids = _load(config.train_file, tokenizer, config, notices)
    if config.max_length is None:
        lengths = [len(e) for e in train_all]
        config.max_length = choose_max_length(lengths)
        notices.append(
            (
                "max-length-chosen",
                f"max_length {config.max_length}: the {MAX_LENGTH_PERCENTILE:g}th percentile of the training "
                f"examples' prompt+answer token lengths, rounded up to a multiple of {MAX_LENGTH_MULTIPLE} "
                f"(at most {MAX_LENGTH_CAP}); longest example {max(lengths)} tokens.",
            )
        )
    train, stats = truncate(train_all, config.max_length, train_ids)
    if stats.truncated:
        notices.append(
            (
                "examples-truncated",
                f"{stats.truncated} of {stats.total} training examples are longer than max_length "
                f"{config.max_length} and were cut (their answers lose their ends).",
            )
        )
    if stats.dropped:
        shown = ", ".join(stats.dropped_ids[:5])
        notices.append(
            (
                "examples-dropped",
                f"{stats.dropped} training examples have no answer token within max_length {config.max_length} "
                f"and were left out (e.g. {shown}).",
            )
        )
    if not train:
        raise DataError(f"no training example fits in max_length {config.max_length}; raise max_length")
    validation: list[Encoded] | None = None
    if config.validation_file:
        records = read_chat_jsonl(config.validation_file)
        cap = config.max_validation_examples
        if cap and len(records) > cap:
            total = len(records)
            records = stratified_sample(records, cap, config.seed, lambda r: str(r.get("qtype", "")))
            notices.append(
                (
                    "validation-sampled",
                    f"validation uses a seeded, question-type-stratified sample of {cap} of the "
                    f"{total} validation examples (max_validation_examples; "
                    "0 uses all of them).",
                )
            )
        records = with_retrieval(records, config, tokenizer, notices, training=False)
        val_ids = [str(r.get("id", f"line {i + 1}")) for i, r in enumerate(records)]
        encoded = encode_records(tokenizer, records, config.system_prompt)
        validation, _ = truncate(encoded, config.max_length, val_ids)
        if not validation:
            raise DataError(f"no validation example fits in max_length {config.max_length}")
    else:
        notices.append(
            (
                "no-validation",
                "no validation_file: no validation loss, early stopping or best-checkpoint tracking in this run.",
            )
        )
    digest = manifest_hash(Path(config.dataset_manifest)) if config.dataset_manifest else None
    return PreparedData(train=train, validation=validation, manifest_hash=digest, notices=notices)


def training_arguments(config: TrainConfig, has_eval: bool, plan: Any, deepspeed: Path | None) -> Any:
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=config.output_dir,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.per_device_train_batch_size,
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_ratio,  # a value below 1 is a ratio of the total steps
        weight_decay=config.weight_decay,
        optim="adamw_torch",
        logging_strategy="steps",
        logging_steps=config.logging_steps,
        # transformers' default hides NaN/inf step losses from the logs; the run must see them to stop as failed.
        logging_nan_inf_filter=False,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        load_best_model_at_end=has_eval,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        restore_callback_states_from_checkpoint=True,  # early-stopping patience survives a resume
        seed=config.seed,
        data_seed=config.seed,
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        bf16=bool(plan.bf16),
        use_cpu=not plan.cuda,
        activation_checkpointing=config.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if config.gradient_checkpointing else None,
        deepspeed=str(deepspeed) if deepspeed else None,
        ddp_find_unused_parameters=False,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        report_to=list(config.report_to),  # ["none"] or trackers; tracking.py says where they log
        run_name=Path(config.output_dir).name,  # the MLflow run's name
        disable_tqdm=True,
        log_level="warning",
    )
