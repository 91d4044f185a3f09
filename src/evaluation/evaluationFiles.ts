import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import type { MetricValue } from '../protocol/metricsPanel';
import {
  COMPARISON_FORMAT,
  comparisonFactsSchema,
  countedGroupSchema,
  formatSchema,
  hygieneFlagSchema,
  hygieneSchema,
  isRecord,
  METRICS_FORMAT,
  metricEntrySchema,
  metricsFactsSchema,
  numberSchema,
  objectSchema,
  pairedEntrySchema,
  typeName,
  versionSchema,
} from '../protocol/trainer/evaluationFiles';
import { JsonSyntaxError, parseLocatedJson, pathText, type JsonPath, type LocatedJson } from './jsonDocument';

/**
 * Tolerant readers for the evaluator's JSON outputs (contract #3; layout in docs/protocol.md "Evaluation outputs"),
 * checked with the schemas of src/protocol/trainer/evaluationFiles.ts part by part: every usable part is kept, and
 * each problem is reported once as `file:line: what is wrong`.
 */
export interface Read<T> {
  value: T;
  problems: string[];
}

export { isRecord, typeName };

export async function readText(file: string): Promise<string | string[]> {
  try {
    // Editors on Windows save JSON and JSONL with a byte order mark; it is not part of the first line.
    return (await fs.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be read (${(error as Error).message})`,
    ];
  }
}

/** Schema checks on a located JSON document: each issue adds `file:line: path message`, and the part is dropped. */
class Checker {
  private readonly found: { line: number; text: string }[] = [];
  constructor(
    private readonly file: string,
    private readonly doc: LocatedJson,
  ) {}

  /** In file order, as a person reads the file. */
  get problems(): string[] {
    return [...this.found].sort((a, b) => a.line - b.line).map((p) => p.text);
  }

  private problem(path: JsonPath, message: string): void {
    const line = this.doc.lineOf(path);
    this.found.push({ line, text: `${this.file}:${line}: ${pathText(path)} ${message}` });
  }

  /** The value at `path` if it passes `schema`, else undefined after noting each of its issues at its line. */
  check<T>(schema: v.GenericSchema<unknown, T>, value: unknown, path: JsonPath): T | undefined {
    const result = v.safeParse(schema, value);
    if (result.success) return result.output;
    for (const issue of result.issues) {
      const inner = (issue.path ?? []).map((item) => item.key as string | number);
      this.problem([...path, ...inner], issue.message);
    }
    return undefined;
  }
}

/** Parses a JSON document; a syntax error becomes one problem with its line. */
function locate(text: string, file: string): { doc?: LocatedJson; problems: string[] } {
  try {
    return { doc: parseLocatedJson(text), problems: [] };
  } catch (error) {
    if (error instanceof JsonSyntaxError)
      return { problems: [`${file}:${error.line}: not valid JSON (${error.message})`] };
    throw error;
  }
}

function checkFormat(check: Checker, top: Record<string, unknown>, format: string): boolean {
  return (
    check.check(formatSchema(format), top.format, ['format']) !== undefined &&
    check.check(versionSchema, top.version, ['version']) !== undefined
  );
}

export interface HygieneReport {
  checked: number;
  flagged: number;
  flags: { name: string; count: number | null; examples: string[]; note?: string }[];
}

export interface MetricsDocument {
  n: number;
  /** Examples the evaluation meant to do (less than n when cancelled). */
  total: number | null;
  cancelled: boolean;
  overall: Record<string, MetricValue>;
  byQtype: Record<string, { n: number; metrics: Record<string, MetricValue> }>;
  hygiene: HygieneReport | null;
  model: string | null;
  adapter: string | null;
  decoding: Record<string, unknown> | null;
  runtime: { device: string | null; seconds: number | null } | null;
}

/** The metric entries of a group (every key but `n`); a broken entry is reported and left out. */
function metricValues(
  check: Checker,
  group: Record<string, unknown>,
  path: JsonPath,
): Record<string, MetricValue> {
  const values: Record<string, MetricValue> = {};
  for (const [name, entry] of Object.entries(group)) {
    if (name === 'n') continue;
    const metric = check.check(metricEntrySchema, entry, [...path, name]);
    if (metric) values[name] = { value: metric.value, ci: metric.ci };
  }
  return values;
}

function hygieneReport(check: Checker, value: unknown): HygieneReport | null {
  if (value === undefined || value === null) return null;
  const record = check.check(hygieneSchema, value, ['hygiene']);
  if (!record) return null;
  const checked = check.check(numberSchema, record.checked, ['hygiene', 'checked']) ?? 0;
  const flagged = check.check(numberSchema, record.flagged, ['hygiene', 'flagged']) ?? 0;
  const report: HygieneReport = { checked, flagged, flags: [] };
  for (const [name, entry] of Object.entries(record.flags)) {
    const flag = check.check(hygieneFlagSchema, entry, ['hygiene', 'flags', name]);
    if (!flag) continue;
    const examples = flag.examples.map(String);
    report.flags.push({
      name,
      count: flag.count,
      examples,
      ...(flag.note !== undefined ? { note: flag.note } : {}),
    });
  }
  return report;
}

/**
 * A path recorded in a result file: `./…` and `../…` are relative to the file's folder (docs/protocol.md,
 * section 3); absolute paths and hub ids (`org/model`) are kept as written.
 */
export function recordedPath(value: unknown, file: string): string | null {
  if (typeof value !== 'string') return null;
  const text = value;
  const relative = text === '.' || text === '..' || text.startsWith('./') || text.startsWith('../');
  return relative ? path.resolve(path.dirname(file), text) : text;
}

/**
 * metrics.json `grounding` (support, fabrication, citation validity; issue 18) joins the other metrics of each
 * group, so every table shows it as rows. Files written before it have none, which is not a problem.
 */
function addGrounding(
  check: Checker,
  value: unknown,
  overall: Record<string, MetricValue>,
  byQtype: MetricsDocument['byQtype'],
): void {
  if (value === undefined || value === null) return;
  const grounding = check.check(objectSchema, value, ['grounding']);
  if (!grounding) return;
  const groupOverall = check.check(objectSchema, grounding.overall, ['grounding', 'overall']);
  if (groupOverall) Object.assign(overall, metricValues(check, groupOverall, ['grounding', 'overall']));
  const groups =
    grounding.by_qtype === undefined
      ? {}
      : check.check(objectSchema, grounding.by_qtype, ['grounding', 'by_qtype']);
  for (const [qtype, group] of Object.entries(groups ?? {})) {
    const record = check.check(objectSchema, group, ['grounding', 'by_qtype', qtype]);
    const target = byQtype[qtype];
    if (record && target)
      Object.assign(target.metrics, metricValues(check, record, ['grounding', 'by_qtype', qtype]));
  }
}

export async function readMetrics(file: string): Promise<Read<MetricsDocument | null>> {
  const text = await readText(file);
  if (Array.isArray(text)) return { value: null, problems: text };
  return parseMetrics(text, file);
}

/** `by_qtype`: each group with its count and its metrics (groups without a count are reported and left out). */
function qtypeGroups<T>(
  check: Checker,
  value: unknown,
  metrics: (group: Record<string, unknown>, path: JsonPath) => Record<string, T>,
): Record<string, { n: number; metrics: Record<string, T> }> {
  const byQtype: Record<string, { n: number; metrics: Record<string, T> }> = {};
  for (const [qtype, group] of Object.entries(check.check(objectSchema, value, ['by_qtype']) ?? {})) {
    const record = check.check(countedGroupSchema, group, ['by_qtype', qtype]);
    if (record) byQtype[qtype] = { n: record.n, metrics: metrics(record, ['by_qtype', qtype]) };
  }
  return byQtype;
}

export function parseMetrics(text: string, file: string): Read<MetricsDocument | null> {
  const { doc, problems } = locate(text, file);
  if (!doc) return { value: null, problems };
  const check = new Checker(file, doc);
  const top = check.check(objectSchema, doc.value, []);
  if (!top || !checkFormat(check, top, METRICS_FORMAT)) return { value: null, problems: check.problems };
  const n = check.check(numberSchema, top.n, ['n']);
  const overall = check.check(objectSchema, top.overall, ['overall']);
  const byQtype = qtypeGroups(check, top.by_qtype, (group, path) => metricValues(check, group, path));
  const overallValues = overall ? metricValues(check, overall, ['overall']) : {};
  addGrounding(check, top.grounding, overallValues, byQtype);
  const facts = v.parse(metricsFactsSchema, top);
  const document: MetricsDocument = {
    n: n ?? 0,
    total: facts.total,
    cancelled: facts.cancelled,
    overall: overallValues,
    byQtype,
    hygiene: hygieneReport(check, top.hygiene),
    model: recordedPath(facts.model, file),
    adapter: recordedPath(facts.adapter, file),
    decoding: facts.decoding,
    runtime: facts.runtime,
  };
  return { value: n === undefined && !overall ? null : document, problems: check.problems };
}

export interface PairedEntry {
  base: number | null;
  candidate: number | null;
  absoluteChange: number | null;
  relativeChange: number | null;
  ci: [number | null, number | null];
  pValue: number | null;
}

export interface ComparisonSide {
  dir: string | null;
  model: string | null;
  adapter: string | null;
  decodingHash: string | null;
  n: number | null;
}

export interface ComparisonDocument {
  n: number;
  onlyInBase: number;
  onlyInCandidate: number;
  base: ComparisonSide;
  candidate: ComparisonSide;
  metrics: Record<string, PairedEntry>;
  byQtype: Record<string, { n: number; metrics: Record<string, PairedEntry> }>;
  higherIsBetter: Record<string, boolean>;
}

function pairedEntries(check: Checker, value: unknown, path: JsonPath): Record<string, PairedEntry> {
  const entries: Record<string, PairedEntry> = {};
  for (const [name, entry] of Object.entries(check.check(objectSchema, value, path) ?? {})) {
    const fields = check.check(pairedEntrySchema, entry, [...path, name]);
    if (!fields) continue;
    entries[name] = {
      base: fields.base,
      candidate: fields.candidate,
      absoluteChange: fields.absolute_change,
      relativeChange: fields.relative_change,
      ci: fields.ci,
      pValue: fields.p_value,
    };
  }
  return entries;
}

function comparisonSide(
  side: v.InferOutput<typeof comparisonFactsSchema>['base'],
  file: string,
): ComparisonSide {
  return {
    dir: recordedPath(side.dir, file),
    model: recordedPath(side.model, file),
    adapter: recordedPath(side.adapter, file),
    decodingHash: side.decoding_hash,
    n: side.n,
  };
}

export async function readComparison(file: string): Promise<Read<ComparisonDocument | null>> {
  const text = await readText(file);
  if (Array.isArray(text)) return { value: null, problems: text };
  return parseComparison(text, file);
}

export function parseComparison(text: string, file: string): Read<ComparisonDocument | null> {
  const { doc, problems } = locate(text, file);
  if (!doc) return { value: null, problems };
  const check = new Checker(file, doc);
  const top = check.check(objectSchema, doc.value, []);
  if (!top || !checkFormat(check, top, COMPARISON_FORMAT)) return { value: null, problems: check.problems };
  const n = check.check(numberSchema, top.n, ['n']);
  const byQtype = qtypeGroups(check, top.by_qtype, (group, path) =>
    pairedEntries(check, group.metrics, [...path, 'metrics']),
  );
  const facts = v.parse(comparisonFactsSchema, top);
  const document: ComparisonDocument = {
    n: n ?? 0,
    onlyInBase: facts.only_in_base,
    onlyInCandidate: facts.only_in_candidate,
    base: comparisonSide(facts.base, file),
    candidate: comparisonSide(facts.candidate, file),
    metrics: pairedEntries(check, top.metrics, ['metrics']),
    byQtype,
    higherIsBetter: facts.higher_is_better,
  };
  return { value: n === undefined ? null : document, problems: check.problems };
}
