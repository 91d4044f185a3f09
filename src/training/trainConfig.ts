/**
 * The trainer's run.yaml (contract #2): a flat mapping where `preset` picks the base values and every other key
 * overrides one TrainConfig field. The fields and their schemas are in src/protocol/trainer/runConfig.ts; this
 * module knows the presets, reads the user's overrides against those schemas and writes the YAML.
 */
import * as v from 'valibot';
import { Document, Scalar, type ScalarTag } from 'yaml';
import {
  OVERRIDABLE_FIELDS,
  OVERRIDE_SCHEMAS,
  type ConfigValue,
  type FieldKind,
  type FieldSpec,
  type OverrideField,
} from '../protocol/trainer/runConfig';

export { OVERRIDABLE_FIELDS, type ConfigValue, type FieldSpec, type OverrideField };

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
      "The reference's optimiser settings, but the window is picked from the data's length distribution (most MedQuAD answers exceed 128 tokens), batches are padded per batch and grouped by length. QLoRA (4-bit NF4 base) on CUDA; on a CPU LoRA on an fp32 base (set quantization: nf4 for 4-bit QLoRA on a CPU).",
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
      '128-token windows padded to full length, micro-batch 2 × 8 accumulation, QLoRA on a 4-bit NF4 base (on a CPU too), DeepSpeed ZeRO-2 offload on multi-GPU CUDA.',
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

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

/** A value typed or given as text, turned into the field's type where it reads as one (else left for the schema). */
function coerce(kind: FieldKind, input: unknown): unknown {
  const text = typeof input === 'string' ? input.trim() : undefined;
  switch (kind.type) {
    case 'int':
    case 'float': {
      const value = text !== undefined && text !== '' ? Number(text) : NaN;
      return Number.isFinite(value) ? value : input;
    }
    case 'bool':
      return text === 'true' || text === 'false' ? text === 'true' : input;
    case 'enum':
      return text ?? String(input);
    case 'list': {
      const items = Array.isArray(input) ? input.map(String) : (text ?? '').split(',');
      return items.map((s) => s.trim()).filter(Boolean);
    }
    case 'string':
      return text === '' && kind.nullable ? null : (text ?? input);
  }
}

/** Checks one value (typed, or text typed by the user) and returns it normalised, or a message saying what is wrong. */
export function parseOverride(
  field: OverrideField,
  input: unknown,
): { value: ConfigValue } | { error: string } {
  const spec: FieldSpec = OVERRIDABLE_FIELDS[field];
  const result = v.safeParse(OVERRIDE_SCHEMAS[field], coerce(spec.kind, input));
  if (result.success) return { value: result.output };
  return { error: `${spec.label} (${field}): ${result.issues[0].message}. Expected ${spec.hint}.` };
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

/**
 * The overrides with `report_to` from the medqa.training.reportTo setting (comma-separated) unless they set it;
 * `none` leaves run.yaml without it (the trainer's default). Throws when the setting holds another word.
 */
export function withReportTo(overrides: Overrides, reportTo: string): Overrides {
  if ('report_to' in overrides) return overrides;
  const parsed = parseOverride('report_to', reportTo);
  if ('error' in parsed) throw new Error(`The setting medqa.training.reportTo: ${parsed.error}`);
  const trackers = parsed.value as string[];
  return trackers.includes('none') ? overrides : { ...overrides, report_to: trackers };
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

/** A float as PyYAML reads it back: with a dot, also in an exponent (PyYAML's YAML 1.1 reads `2e-4` as a string). */
function pythonFloat(value: number): string {
  const [mantissa, exponent] = String(value).split('e');
  const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exponent === undefined
    ? withDot
    : `${withDot}e${exponent.startsWith('-') || exponent.startsWith('+') ? exponent : `+${exponent}`}`;
}

/** The float fields' numbers are written by this tag (picked by its format), so `3` is written `3.0`. */
const PYTHON_FLOAT_FORMAT = 'PYTHON_FLOAT';
const pythonFloatTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  format: PYTHON_FLOAT_FORMAT,
  default: true,
  identify: (value) => typeof value === 'number' && Number.isFinite(value),
  // Only for writing: a test that never matches leaves reading to the YAML 1.1 schema's own tags.
  test: /^(?!)$/,
  resolve: (text) => Number(text),
  stringify: ({ value }) => pythonFloat(Number(value)),
};

/**
 * Writes a flat mapping as YAML with the `yaml` library, one `key: value` line each, in insertion order, with the
 * header as comment lines. Strings are double-quoted and lists written inline, as PyYAML reads them back exactly.
 */
export function toFlatYaml(config: Record<string, ConfigValue>, header?: string): string {
  const document = new Document(null, { version: '1.1', customTags: [pythonFloatTag] });
  const map = document.createNode({});
  for (const [key, value] of Object.entries(config)) {
    if (!/^[A-Za-z_][\w]*$/.test(key)) throw new Error(`not a config key: ${key}`);
    const node = document.createNode(value, { flow: true });
    if (node instanceof Scalar && typeof value === 'number' && FLOAT_FIELDS.has(key))
      node.format = PYTHON_FLOAT_FORMAT;
    map.add(document.createPair(key, node));
  }
  document.contents = map;
  if (header)
    document.commentBefore = header
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
  return document.toString({
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
    flowCollectionPadding: false,
    lineWidth: 0,
  });
}

/** `20250131-142501-recommended`: sortable, unique per second, says which preset. */
export function defaultRunName(now: Date, preset: PresetName): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${date}-${time}-${preset}`;
}
