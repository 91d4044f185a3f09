/**
 * The JSON lines that `medqa_trainer` writes to `<run>/events.jsonl` (contract #2, docs/protocol.md), as valibot
 * schemas; the types are inferred from them. The trainer's JSON Schema (trainer/medqa_trainer/schema/
 * events.schema.json) is the source of truth: test/unit/protocol.test.ts checks these schemas against it (names,
 * fields, required and nullable). Objects are loose: a newer trainer may add fields within a version.
 */
import * as v from 'valibot';

export const TRAINER_PROTOCOL_VERSION = 1;

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const integer = v.pipe(v.number(), v.integer());
const base = { v: v.literal(TRAINER_PROTOCOL_VERSION), time: v.string() };

/** What a training run is doing, in the order of a normal run (validating and saving come and go). */
export const TRAINING_PHASES = ['tokenizing', 'loading_model', 'training', 'validating', 'saving'] as const;
export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** How a training run held its frozen base model's weights: 4-bit NF4 (QLoRA) or a full-precision dtype. */
export const BASE_PRECISIONS = ['nf4', 'bf16', 'fp16', 'fp32'] as const;
export type BasePrecision = (typeof BASE_PRECISIONS)[number];

const environment = v.looseObject({
  python: v.string(),
  torch: v.string(),
  transformers: v.optional(v.string()),
  peft: v.optional(v.string()),
  trl: v.optional(v.string()),
  device: v.string(),
  qlora: v.boolean(),
  /** How the frozen base weights were held (nf4 = 4-bit QLoRA); absent in runs made before it was recorded. */
  base_precision: v.optional(v.picklist(BASE_PRECISIONS)),
  world_size: v.optional(integer),
});

/** Each event's fields, by event name. */
const EVENT_ENTRIES = {
  run_started: {
    ...base,
    event: v.literal('run_started'),
    run_id: v.string(),
    output_dir: v.string(),
    config: v.record(v.string(), v.unknown()),
    environment,
    total_steps: v.nullable(count),
    resumed_from: v.optional(v.nullable(v.string())),
  },
  notice: {
    ...base,
    event: v.literal('notice'),
    level: v.picklist(['info', 'warning']),
    code: v.string(),
    message: v.string(),
  },
  step: {
    ...base,
    event: v.literal('step'),
    step: count,
    total_steps: v.optional(v.nullable(integer)),
    epoch: v.number(),
    loss: v.number(),
    learning_rate: v.number(),
    grad_norm: v.nullable(v.number()),
    tokens_per_second: v.nullable(v.number()),
  },
  eval: {
    ...base,
    event: v.literal('eval'),
    step: count,
    epoch: v.optional(v.number()),
    eval_loss: v.number(),
    perplexity: v.number(),
  },
  checkpoint: {
    ...base,
    event: v.literal('checkpoint'),
    step: count,
    path: v.string(),
    eval_loss: v.nullable(v.number()),
    is_best: v.boolean(),
  },
  run_finished: {
    ...base,
    event: v.literal('run_finished'),
    step: integer,
    best_checkpoint: v.nullable(v.string()),
    best_eval_loss: v.optional(v.nullable(v.number())),
    adapter_path: v.string(),
    stopped_early: v.optional(v.boolean()),
    /** The run's measured speed: non-padding training tokens/s (since its resume); null when nothing was logged. */
    tokens_per_second: v.optional(v.nullable(v.number())),
  },
  run_failed: {
    ...base,
    event: v.literal('run_failed'),
    error: v.string(),
    traceback_path: v.nullable(v.string()),
  },
  run_cancelled: {
    ...base,
    event: v.literal('run_cancelled'),
    step: integer,
    checkpoint: v.nullable(v.string()),
  },
  eval_started: {
    ...base,
    event: v.literal('eval_started'),
    model: v.string(),
    adapter: v.nullable(v.string()),
    total: count,
    decoding: v.optional(v.record(v.string(), v.unknown())),
  },
  eval_progress: { ...base, event: v.literal('eval_progress'), done: count, total: count },
  eval_finished: {
    ...base,
    event: v.literal('eval_finished'),
    n: count,
    metrics_path: v.string(),
    predictions_path: v.string(),
    cancelled: v.optional(v.boolean()),
  },
  /** Training only: how far the validation pass at `step` is, in batches (at most once a second). */
  validation_progress: {
    ...base,
    event: v.literal('validation_progress'),
    step: count,
    done: count,
    total: count,
  },
  /** Training only: the run's phase changed; `step` is the optimizer step it is at (null before training). */
  phase: { ...base, event: v.literal('phase'), phase: v.picklist(TRAINING_PHASES), step: v.nullable(count) },
} satisfies Record<string, v.ObjectEntries>;

type Entries = typeof EVENT_ENTRIES;
/** The event's type: exactly its fields (the parser keeps unknown ones, which the type does not name). */
type EventOf<K extends keyof Entries> =
  Entries[K] extends infer E extends v.ObjectEntries ? v.InferOutput<v.ObjectSchema<E, undefined>> : never;

export type RunStartedEvent = EventOf<'run_started'>;
export type NoticeEvent = EventOf<'notice'>;
export type StepEvent = EventOf<'step'>;
export type EvalEvent = EventOf<'eval'>;
export type CheckpointEvent = EventOf<'checkpoint'>;
export type RunFinishedEvent = EventOf<'run_finished'>;
export type RunFailedEvent = EventOf<'run_failed'>;
export type RunCancelledEvent = EventOf<'run_cancelled'>;
export type EvalStartedEvent = EventOf<'eval_started'>;
export type EvalProgressEvent = EventOf<'eval_progress'>;
export type EvalFinishedEvent = EventOf<'eval_finished'>;
export type ValidationProgressEvent = EventOf<'validation_progress'>;
export type PhaseEvent = EventOf<'phase'>;

export type TrainerEventName = keyof Entries;
export type TrainerEvent = { [K in TrainerEventName]: EventOf<K> }[TrainerEventName];

/** Every event name, for the schema check and for readers that validate lines. */
export const TRAINER_EVENT_NAMES = Object.keys(EVENT_ENTRIES) as readonly TrainerEventName[];

/** The schema of each event, by name: loose objects, so fields a newer trainer adds are kept, not refused. */
export const TRAINER_EVENT_SCHEMAS = Object.fromEntries(
  Object.entries(EVENT_ENTRIES).map(([name, entries]) => [name, v.looseObject(entries)]),
) as { [K in TrainerEventName]: v.LooseObjectSchema<Entries[K], undefined> };

export function isTrainerEventName(name: unknown): name is TrainerEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(EVENT_ENTRIES, name);
}
