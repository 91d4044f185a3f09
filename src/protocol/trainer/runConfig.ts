/**
 * run.yaml's fields (contract #2): the TrainConfig fields a user may override, with the trainer's types, choices
 * and bounds, and a valibot schema per field that checks a value. The trainer's `TrainConfig`
 * (trainer/medqa_trainer/config.py) is the source of truth: it writes them as JSON Schema
 * (trainer/medqa_trainer/schema/train_config.schema.json), and test/unit/training/runConfigSchema.test.ts checks
 * this table against it. A number's `min`/`max` equal the trainer's where it has one; where it has none, the
 * bound is the form's own cap (1000 epochs, a rank of 1024).
 */
import * as v from 'valibot';

export type ConfigValue = string | number | boolean | null | string[];

export type FieldKind =
  | { type: 'int'; min: number; max: number; allow?: readonly number[] }
  | { type: 'float'; min: number; max: number; exclusiveMin?: boolean; exclusiveMax?: boolean }
  | { type: 'bool' }
  | { type: 'string'; nullable?: boolean }
  | { type: 'enum'; values: readonly string[] }
  /** A list of module names, or (with `values`) of those words only, each once. */
  | { type: 'list'; values?: readonly string[] };

/** A field's kind: its type and, for numbers, the bounds the trainer checks (and the form's own caps). */
export interface FieldSpec {
  kind: FieldKind;
  label: string;
  hint: string;
}

/** Every TrainConfig field a user may override (paths and `preset` are set from the other choices). */
export const OVERRIDABLE_FIELDS = {
  num_train_epochs: {
    label: 'Epochs',
    hint: 'passes over the training split, e.g. 1 or 2.5',
    kind: { type: 'float', min: 0, max: 1000, exclusiveMin: true },
  },
  learning_rate: {
    label: 'Learning rate',
    hint: 'peak learning rate, e.g. 0.0002',
    kind: { type: 'float', min: 0, max: 1, exclusiveMin: true },
  },
  max_length: {
    label: 'Max length',
    hint: 'tokens per example (prompt + answer), 16 to 32768',
    kind: { type: 'int', min: 16, max: 32768 },
  },
  lora_r: { label: 'LoRA r', hint: 'adapter rank, e.g. 16', kind: { type: 'int', min: 1, max: 1024 } },
  lora_alpha: {
    label: 'LoRA alpha',
    hint: 'adapter scaling, often 2 × r',
    kind: { type: 'int', min: 1, max: 4096 },
  },
  lora_dropout: {
    label: 'LoRA dropout',
    hint: 'from 0 up to (not including) 1, e.g. 0.05',
    kind: { type: 'float', min: 0, max: 1, exclusiveMax: true },
  },
  lora_target_modules: {
    label: 'LoRA target modules',
    hint: 'comma-separated, e.g. q_proj,v_proj',
    kind: { type: 'list' },
  },
  max_steps: {
    label: 'Max steps',
    hint: 'stop after this many optimizer steps; -1 = use epochs',
    kind: { type: 'int', min: 1, max: 10_000_000, allow: [-1] },
  },
  per_device_train_batch_size: {
    label: 'Train batch size',
    hint: 'examples per device and step',
    kind: { type: 'int', min: 1, max: 4096 },
  },
  per_device_eval_batch_size: {
    label: 'Eval batch size',
    hint: 'examples per device in evaluation',
    kind: { type: 'int', min: 1, max: 4096 },
  },
  gradient_accumulation_steps: {
    label: 'Gradient accumulation',
    hint: 'micro-batches per optimizer step',
    kind: { type: 'int', min: 1, max: 4096 },
  },
  lr_scheduler_type: {
    label: 'LR scheduler',
    hint: 'e.g. cosine, linear, constant',
    kind: {
      type: 'enum',
      values: [
        'linear',
        'cosine',
        'cosine_with_restarts',
        'polynomial',
        'constant',
        'constant_with_warmup',
        'inverse_sqrt',
      ],
    },
  },
  warmup_ratio: {
    label: 'Warm-up ratio',
    hint: 'share of steps spent warming up, from 0 up to (not including) 1, e.g. 0.05',
    kind: { type: 'float', min: 0, max: 1, exclusiveMax: true },
  },
  weight_decay: { label: 'Weight decay', hint: '0 to 1', kind: { type: 'float', min: 0, max: 1 } },
  quantization: {
    label: 'Quantization',
    hint: 'auto (4-bit NF4 on CUDA, fp32 on a CPU), nf4 (4-bit QLoRA, on a CPU too) or none',
    kind: { type: 'enum', values: ['auto', 'nf4', 'none'] },
  },
  eval_steps: {
    label: 'Eval every',
    hint: 'optimizer steps between validations',
    kind: { type: 'int', min: 1, max: 10_000_000 },
  },
  save_steps: {
    label: 'Save every',
    hint: 'optimizer steps between checkpoints',
    kind: { type: 'int', min: 1, max: 10_000_000 },
  },
  logging_steps: {
    label: 'Log every',
    hint: 'optimizer steps between loss reports',
    kind: { type: 'int', min: 1, max: 10_000_000 },
  },
  save_total_limit: {
    label: 'Checkpoints kept',
    hint: 'older checkpoints are deleted (the best is kept)',
    kind: { type: 'int', min: 1, max: 1000 },
  },
  early_stopping_patience: {
    label: 'Early stopping patience',
    hint: 'evaluations without improvement before stopping; 0 = off',
    kind: { type: 'int', min: 0, max: 1000 },
  },
  max_validation_examples: {
    label: 'Validation sample',
    hint: 'validation examples used at each evaluation (seeded, stratified); 0 = all',
    kind: { type: 'int', min: 0, max: 1_000_000 },
  },
  seed: { label: 'Seed', hint: 'random seed', kind: { type: 'int', min: 0, max: 2 ** 31 - 1 } },
  packing: { label: 'Packing', hint: 'true or false', kind: { type: 'bool' } },
  group_by_length: { label: 'Group by length', hint: 'true or false', kind: { type: 'bool' } },
  padding: {
    label: 'Padding',
    hint: 'max_length or longest',
    kind: { type: 'enum', values: ['max_length', 'longest'] },
  },
  gradient_checkpointing: { label: 'Gradient checkpointing', hint: 'true or false', kind: { type: 'bool' } },
  system_prompt: {
    label: 'System prompt',
    hint: 'system message for every example; empty = none',
    kind: { type: 'string', nullable: true },
  },
  deepspeed: {
    label: 'DeepSpeed',
    hint: 'preset name or config path; empty = off',
    kind: { type: 'string', nullable: true },
  },
  // Retrieval-augmented training (issue 18): each prompt gets the top-k sources of an index over the training split.
  retrieval_index: {
    label: 'Retrieval index',
    hint: 'index folder built over the training split (index build); empty = closed-book',
    kind: { type: 'string', nullable: true },
  },
  retrieval_k: {
    label: 'Retrieved sources (k)',
    hint: 'sources per prompt with a retrieval index, 1 to 20',
    kind: { type: 'int', min: 1, max: 20 },
  },
  retrieval_context_tokens: {
    label: 'Source token budget',
    hint: 'tokens for the sources in each prompt, at least 64 (at most half of max_length)',
    kind: { type: 'int', min: 64, max: 32768 },
  },
  // Experiment tracking through the HF Trainer's own integrations (issue 19); the default is medqa.training.reportTo.
  report_to: {
    label: 'Report to',
    hint: 'none, or tensorboard and/or mlflow, comma-separated',
    kind: { type: 'list', values: ['none', 'tensorboard', 'mlflow'] },
  },
} as const satisfies Record<string, FieldSpec>;

export type OverrideField = keyof typeof OVERRIDABLE_FIELDS;

function inRange(kind: Extract<FieldKind, { type: 'int' | 'float' }>, value: number): boolean {
  if (kind.type === 'int' && kind.allow?.includes(value)) return true;
  const exclusiveMin = kind.type === 'float' && kind.exclusiveMin === true;
  const exclusiveMax = kind.type === 'float' && kind.exclusiveMax === true;
  const aboveMin = exclusiveMin ? value > kind.min : value >= kind.min;
  const belowMax = exclusiveMax ? value < kind.max : value <= kind.max;
  return aboveMin && belowMax;
}

/** Module names as peft takes them: a word, dots, `*` and `-`. */
const MODULE_NAME = /^[\w.*-]+$/;

const moduleListSchema = v.pipe(
  v.array(v.pipe(v.string(), v.regex(MODULE_NAME)), 'needs one or more module names'),
  v.minLength(1, 'needs one or more module names'),
);

/** Some of `values`, each once; `none` (where it is one of them) only alone, as the trainer checks. */
function choiceListSchema(values: readonly string[]): v.GenericSchema<unknown, string[]> {
  const choices = values.join(', ');
  return v.pipe(
    v.array(v.picklist(values, (issue) => `"${String(issue.input)}" is not one of ${choices}`)),
    v.minLength(1, `needs one or more of ${choices}`),
    v.check((list) => new Set(list).size === list.length, 'names an item twice'),
    v.check((list) => !list.includes('none') || list.length === 1, 'none cannot be combined with another'),
  );
}

/** The schema of one field's value, as it is written to run.yaml; each message says what is wrong with it. */
export function fieldValueSchema(kind: FieldKind): v.GenericSchema<unknown, ConfigValue> {
  switch (kind.type) {
    case 'int':
    case 'float':
      return v.pipe(
        v.number((issue) => `"${String(issue.input)}" is not a number`),
        v.finite((issue) => `"${String(issue.input)}" is not a number`),
        v.check((value) => kind.type === 'float' || Number.isInteger(value), (issue) => `${String(issue.input)} is not a whole number`),
        v.check((value) => inRange(kind, value), (issue) => `${String(issue.input)} is out of range`),
      );
    case 'bool':
      return v.boolean((issue) => `"${String(issue.input)}" is not true or false`);
    case 'enum':
      return v.picklist(kind.values, (issue) => `"${String(issue.input)}" is not one of ${kind.values.join(', ')}`);
    case 'list':
      return kind.values ? choiceListSchema(kind.values) : moduleListSchema;
    case 'string':
      return kind.nullable
        ? v.nullable(v.pipe(v.string('is not text'), v.minLength(1, 'may not be empty')))
        : v.pipe(v.string('is not text'), v.minLength(1, 'may not be empty'));
  }
}

/** Every overridable field's value schema, by field name. */
export const OVERRIDE_SCHEMAS = Object.fromEntries(
  Object.entries(OVERRIDABLE_FIELDS).map(([name, spec]) => [name, fieldValueSchema((spec as FieldSpec).kind)]),
) as Record<OverrideField, v.GenericSchema<unknown, ConfigValue>>;
