/**
 * The evaluator's JSON outputs, metrics.json and comparison.json (contract #3; layout in docs/protocol.md
 * "Evaluation outputs"), as valibot schemas. The reader (src/evaluation/evaluationFiles.ts) applies them part by
 * part, so a broken metric costs only that metric, and reports each issue by file and line. Messages read after
 * the path: `overall.f1.ci is missing`, `overall.bleu.value must be a number or null, got string`.
 */
import * as v from 'valibot';

export const METRICS_FORMAT = 'medqa-eval-metrics';
export const COMPARISON_FORMAT = 'medqa-eval-comparison';
export const SUPPORTED_VERSION = 1;

export const typeName = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Message = (issue: v.BaseIssue<unknown>) => string;
/** `is missing`, or `must be <what>, got <type>`. */
const expected =
  (what: string): Message =>
  (issue) =>
    issue.input === undefined ? 'is missing' : `must be ${what}, got ${typeName(issue.input)}`;

/** A JSON object (not an array, not null). */
export const objectSchema = v.custom<Record<string, unknown>>(isRecord, expected('an object'));
const object = <const E extends v.ObjectEntries>(entries: E) =>
  v.pipe(objectSchema, v.looseObject(entries, expected('an object')));

export const numberSchema = v.pipe(v.number(expected('a number')), v.finite(expected('a number')));
const nullableNumber = v.nullable(
  v.pipe(v.number(expected('a number or null')), v.finite(expected('a number or null'))),
);

function isInterval(value: unknown): value is [number | null, number | null] {
  return Array.isArray(value) && value.length === 2 && value.every((x) => x === null || typeof x === 'number');
}
const interval = v.custom<[number | null, number | null]>(isInterval, (issue) =>
  issue.input === undefined ? 'is missing' : 'must be [low, high] (numbers or null)',
);

export const formatSchema = (format: string) =>
  v.literal(format, (issue) => `is ${JSON.stringify(issue.input)}, expected "${format}"`);
export const versionSchema = v.literal(
  SUPPORTED_VERSION,
  (issue) => `is ${JSON.stringify(issue.input)}; this MedQA Studio reads version ${SUPPORTED_VERSION}`,
);

/** One metric of a group: its value and confidence interval. */
export const metricEntrySchema = object({ value: nullableNumber, ci: interval });
/** A `by_qtype` group: its example count (its metrics are entries beside it). */
export const countedGroupSchema = object({ n: numberSchema });

/** metrics.json `hygiene`: the answer checks' counts; each flag is checked on its own. */
export const hygieneSchema = object({ flags: objectSchema });
export const hygieneFlagSchema = object({
  count: nullableNumber,
  examples: v.fallback(v.array(v.unknown()), []),
  note: v.fallback(v.optional(v.string()), undefined),
});

/** A field read when it is there and of its type, and otherwise taken as absent (not a problem). */
const orNull = <T extends v.GenericSchema>(schema: T) => v.fallback(v.nullable(schema), null);
const lenientObject = <const E extends v.ObjectEntries>(entries: E) =>
  v.pipe(v.custom<Record<string, unknown>>(isRecord), v.object(entries));

/** metrics.json's descriptive fields: never a problem, null (or false) when absent or mistyped. */
export const metricsFactsSchema = v.object({
  total: orNull(v.number()),
  cancelled: v.fallback(v.boolean(), false),
  model: orNull(v.string()),
  adapter: orNull(v.string()),
  decoding: orNull(v.custom<Record<string, unknown>>(isRecord)),
  runtime: orNull(lenientObject({ device: orNull(v.string()), seconds: orNull(v.number()) })),
});

/** One metric compared: both sides, the change, its interval and p-value. */
export const pairedEntrySchema = object({
  base: nullableNumber,
  candidate: nullableNumber,
  absolute_change: nullableNumber,
  relative_change: nullableNumber,
  ci: interval,
  p_value: nullableNumber,
});

const sideSchema = lenientObject({
  dir: orNull(v.string()),
  model: orNull(v.string()),
  adapter: orNull(v.string()),
  decoding_hash: orNull(v.string()),
  n: orNull(v.number()),
});
const EMPTY_SIDE = { dir: null, model: null, adapter: null, decoding_hash: null, n: null };

/** comparison.json's descriptive fields: never a problem; a side that is not there has every field null. */
export const comparisonFactsSchema = v.object({
  only_in_base: v.fallback(v.number(), 0),
  only_in_candidate: v.fallback(v.number(), 0),
  base: v.fallback(sideSchema, EMPTY_SIDE),
  candidate: v.fallback(sideSchema, EMPTY_SIDE),
  // Only the flags that are booleans are kept.
  higher_is_better: v.fallback(
    v.pipe(
      v.custom<Record<string, unknown>>(isRecord),
      v.transform((flags) =>
        Object.fromEntries(Object.entries(flags).filter(([, flag]) => typeof flag === 'boolean')),
      ),
      v.record(v.string(), v.boolean()),
    ),
    {},
  ),
});
