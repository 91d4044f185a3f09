/**
 * The trainer's run.yaml (contract #2): a flat mapping where `preset` picks the base values and every other key
 * overrides one TrainConfig field. This module knows the fields, validates user overrides and writes the YAML.
 */

export type PresetName = 'recommended' | 'cpu-small' | 'reference-recipe';

export interface PresetInfo {
  label: string;
  description: string;
  detail: string;
  /** Decoding that Evaluate Checkpoint proposes for runs of this preset. */
  decoding?: { repetitionPenalty: number };
}

export const PRESETS: Readonly<Record<PresetName, PresetInfo>> = {
  recommended: {
    label: 'Recommended',
    description: 'sequence length from your data, per-batch padding',
    detail:
      "The reference's optimiser settings, but the window is picked from the data's length distribution (most MedQuAD answers exceed 128 tokens), batches are padded per batch and grouped by length. QLoRA on CUDA, LoRA on CPU.",
  },
  'cpu-small': {
    label: 'Small model on a CPU',
    description: 'for SmolLM2-135M and similar: one epoch, stronger LoRA, 512 tokens',
    detail:
      'Learning rate 1e-3, LoRA r=16/alpha 32 on every linear layer, windows of 512 tokens, one epoch, validation every 20 steps: what moved a 135 M model within an hour on 2 CPU cores (examples/medquad-smollm2).',
    // A small model's greedy answers loop on a phrase until the token limit without it.
    decoding: { repetitionPenalty: 1.15 },
  },
  'reference-recipe': {
    label: 'Reference recipe',
    description: 'the published recipe exactly, for comparison',
    detail:
      '128-token windows padded to full length, micro-batch 2 × 8 accumulation, 4-bit NF4 with DeepSpeed ZeRO-2 offload: needs a CUDA GPU.',
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

type FieldKind =
  | { type: 'int'; min: number; max: number; allow?: readonly number[] }
  | { type: 'float'; min: number; max: number; exclusiveMin?: boolean }
  | { type: 'bool' }
  | { type: 'string'; nullable?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'list' };

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
  lora_dropout: { label: 'LoRA dropout', hint: '0 to 0.9', kind: { type: 'float', min: 0, max: 0.9 } },
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
      values: ['linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant', 'constant_with_warmup'],
    },
  },
  warmup_ratio: {
    label: 'Warm-up ratio',
    hint: 'share of steps spent warming up, 0 to 0.5',
    kind: { type: 'float', min: 0, max: 0.5 },
  },
  weight_decay: { label: 'Weight decay', hint: '0 to 1', kind: { type: 'float', min: 0, max: 1 } },
  quantization: {
    label: 'Quantization',
    hint: 'auto (4-bit on CUDA), nf4 or none',
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
} as const satisfies Record<string, FieldSpec>;

export type OverrideField = keyof typeof OVERRIDABLE_FIELDS;
export type ConfigValue = string | number | boolean | null | string[];
export type Overrides = Partial<Record<OverrideField, ConfigValue>>;

/** The fields the quick pick offers (the rest stay reachable through the options object and run.yaml). */
export const QUICK_OVERRIDES: readonly OverrideField[] = [
  'num_train_epochs',
  'learning_rate',
  'max_length',
  'lora_r',
  'lora_alpha',
];

export function isOverrideField(name: string): name is OverrideField {
  return Object.prototype.hasOwnProperty.call(OVERRIDABLE_FIELDS, name);
}

/** Checks one value (typed, or text typed by the user) and returns it normalised, or a message saying what is wrong. */
export function parseOverride(
  field: OverrideField,
  input: unknown,
): { value: ConfigValue } | { error: string } {
  const spec: FieldSpec = OVERRIDABLE_FIELDS[field];
  const kind = spec.kind;
  const text = typeof input === 'string' ? input.trim() : undefined;
  const fail = (why: string) => ({ error: `${spec.label} (${field}): ${why}. Expected ${spec.hint}.` });
  switch (kind.type) {
    case 'int':
    case 'float': {
      const value =
        typeof input === 'number' ? input : text !== undefined && text !== '' ? Number(text) : NaN;
      if (!Number.isFinite(value)) return fail(`"${String(input)}" is not a number`);
      if (kind.type === 'int' && !Number.isInteger(value)) return fail(`${value} is not a whole number`);
      if (kind.type === 'int' && kind.allow?.includes(value)) return { value };
      const belowMin = kind.type === 'float' && kind.exclusiveMin ? value <= kind.min : value < kind.min;
      if (belowMin || value > kind.max) return fail(`${value} is out of range`);
      return { value };
    }
    case 'bool': {
      if (typeof input === 'boolean') return { value: input };
      if (text === 'true' || text === 'false') return { value: text === 'true' };
      return fail(`"${String(input)}" is not true or false`);
    }
    case 'enum': {
      const value = text ?? String(input);
      return kind.values.includes(value)
        ? { value }
        : fail(`"${value}" is not one of ${kind.values.join(', ')}`);
    }
    case 'list': {
      const items = Array.isArray(input) ? input.map(String) : (text ?? '').split(',');
      const cleaned = items.map((s) => s.trim()).filter(Boolean);
      if (cleaned.length === 0 || cleaned.some((s) => !/^[\w.*-]+$/.test(s)))
        return fail('needs one or more module names');
      return { value: cleaned };
    }
    case 'string': {
      if (input === null || text === '') return kind.nullable ? { value: null } : fail('may not be empty');
      if (text === undefined) return fail('is not text');
      return { value: text };
    }
  }
}

/** Validates an overrides object from the options argument; throws one message listing every problem. */
export function validateOverrides(overrides: Record<string, unknown> | undefined): Overrides {
  const result: Overrides = {};
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(overrides ?? {})) {
    if (!isOverrideField(name)) {
      problems.push(
        `"${name}" is not a setting you can override (known: ${Object.keys(OVERRIDABLE_FIELDS).join(', ')})`,
      );
      continue;
    }
    const parsed = parseOverride(name, raw);
    if ('error' in parsed) problems.push(parsed.error);
    else result[name] = parsed.value;
  }
  if (problems.length > 0) throw new Error(`Invalid training settings: ${problems.join('; ')}`);
  return result;
}

export interface RunConfigInput {
  model: string;
  preset: PresetName;
  trainFile: string;
  validationFile: string;
  manifestFile: string;
  outputDir: string;
  overrides: Overrides;
}

/** The run.yaml mapping: preset first, then paths, then the user's overrides (which win). */
export function buildRunConfig(input: RunConfigInput): Record<string, ConfigValue> {
  return {
    preset: input.preset,
    model_name_or_path: input.model,
    train_file: input.trainFile,
    validation_file: input.validationFile,
    dataset_manifest: input.manifestFile,
    output_dir: input.outputDir,
    ...input.overrides,
  };
}

const FLOAT_FIELDS = new Set(
  Object.entries(OVERRIDABLE_FIELDS)
    .filter(([, spec]) => spec.kind.type === 'float')
    .map(([name]) => name),
);

/** A number as PyYAML reads it back: floats keep a dot (PyYAML's YAML 1.1 reads `2e-4` as a string). */
function yamlNumber(value: number, asFloat: boolean): string {
  if (!asFloat) return String(value);
  const text = String(value);
  const [mantissa, exponent] = text.split('e');
  const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exponent === undefined
    ? withDot
    : `${withDot}e${exponent.startsWith('-') || exponent.startsWith('+') ? exponent : `+${exponent}`}`;
}

function yamlScalar(value: ConfigValue, asFloat: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return yamlNumber(value, asFloat);
  // JSON's double-quoted strings are valid YAML double-quoted scalars, escapes included.
  if (typeof value === 'string') return JSON.stringify(value);
  return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
}

/** Writes a flat mapping as YAML, one `key: value` line each, in insertion order. */
export function toFlatYaml(config: Record<string, ConfigValue>, header?: string): string {
  const lines = header ? header.split('\n').map((line) => `# ${line}`) : [];
  for (const [key, value] of Object.entries(config)) {
    if (!/^[A-Za-z_][\w]*$/.test(key)) throw new Error(`not a config key: ${key}`);
    lines.push(`${key}: ${yamlScalar(value, FLOAT_FIELDS.has(key))}`);
  }
  return lines.join('\n') + '\n';
}

/** `20250131-142501-recommended`: sortable, unique per second, says which preset. */
export function defaultRunName(now: Date, preset: PresetName): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${date}-${time}-${preset}`;
}
