import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { MetricValue } from '../protocol/metricsPanel';
import { JsonSyntaxError, parseLocatedJson, pathText, type JsonPath, type LocatedJson } from './jsonDocument';

/**
 * Tolerant readers for the evaluator's JSON outputs (contract #3; layout in docs/protocol.md "Evaluation outputs"):
 * every usable part is kept, and each problem is reported once as `file:line: what is wrong`.
 */
export interface Read<T> {
  value: T;
  problems: string[];
}

export const METRICS_FORMAT = 'medqa-eval-metrics';
export const COMPARISON_FORMAT = 'medqa-eval-comparison';
export const SUPPORTED_VERSION = 1;

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

export const typeName = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field checks on a located JSON document: each failed check adds `file:line: path …` and yields undefined. */
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

  problem(path: JsonPath, message: string): void {
    const line = this.doc.lineOf(path);
    this.found.push({ line, text: `${this.file}:${line}: ${pathText(path)} ${message}` });
  }

  record(value: unknown, path: JsonPath): Record<string, unknown> | undefined {
    if (isRecord(value)) return value;
    this.problem(path, value === undefined ? 'is missing' : `must be an object, got ${typeName(value)}`);
    return undefined;
  }

  number(value: unknown, path: JsonPath, nullable = false): number | null | undefined {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (nullable && value === null) return null;
    this.problem(
      path,
      value === undefined
        ? 'is missing'
        : `must be a number${nullable ? ' or null' : ''}, got ${typeName(value)}`,
    );
    return undefined;
  }

  interval(value: unknown, path: JsonPath): [number | null, number | null] | undefined {
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((v) => v === null || typeof v === 'number')
    ) {
      return value as [number | null, number | null];
    }
    this.problem(path, value === undefined ? 'is missing' : 'must be [low, high] (numbers or null)');
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

function checkFormat(check: Checker, top: Record<string, unknown>, expected: string): boolean {
  if (top.format !== expected) {
    check.problem(['format'], `is ${JSON.stringify(top.format)}, expected "${expected}"`);
    return false;
  }
  if (top.version !== SUPPORTED_VERSION) {
    check.problem(
      ['version'],
      `is ${JSON.stringify(top.version)}; this MedQA Studio reads version ${SUPPORTED_VERSION}`,
    );
    return false;
  }
  return true;
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

function metricValues(
  check: Checker,
  group: Record<string, unknown>,
  path: JsonPath,
): Record<string, MetricValue> {
  const values: Record<string, MetricValue> = {};
  for (const [name, entry] of Object.entries(group)) {
    if (name === 'n') continue;
    const at = [...path, name];
    const record = check.record(entry, at);
    if (!record) continue;
    const value = check.number(record.value, [...at, 'value'], true);
    const ci = check.interval(record.ci, [...at, 'ci']);
    if (value !== undefined && ci !== undefined) values[name] = { value, ci };
  }
  return values;
}

function hygieneReport(check: Checker, value: unknown): HygieneReport | null {
  if (value === undefined || value === null) return null;
  const record = check.record(value, ['hygiene']);
  const flags = record && check.record(record.flags, ['hygiene', 'flags']);
  if (!record || !flags) return null;
  const checked = check.number(record.checked, ['hygiene', 'checked']) ?? 0;
  const flagged = check.number(record.flagged, ['hygiene', 'flagged']) ?? 0;
  const report: HygieneReport = { checked, flagged, flags: [] };
  for (const [name, entry] of Object.entries(flags)) {
    const at = ['hygiene', 'flags', name];
    const flag = check.record(entry, at);
    if (!flag) continue;
    const count = check.number(flag.count, [...at, 'count'], true);
    if (count === undefined) continue;
    const examples = Array.isArray(flag.examples) ? flag.examples.map(String) : [];
    report.flags.push({
      name,
      count,
      examples,
      ...(typeof flag.note === 'string' ? { note: flag.note } : {}),
    });
  }
  return report;
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * A path recorded in a result file: `./…` and `../…` are relative to the file's folder (docs/protocol.md,
 * section 3); absolute paths and hub ids (`org/model`) are kept as written.
 */
export function recordedPath(value: unknown, file: string): string | null {
  const text = stringOrNull(value);
  if (text === null) return null;
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
  const grounding = check.record(value, ['grounding']);
  if (!grounding) return;
  const groupOverall = check.record(grounding.overall, ['grounding', 'overall']);
  if (groupOverall) Object.assign(overall, metricValues(check, groupOverall, ['grounding', 'overall']));
  const groups =
    grounding.by_qtype === undefined ? {} : check.record(grounding.by_qtype, ['grounding', 'by_qtype']);
  for (const [qtype, group] of Object.entries(groups ?? {})) {
    const record = check.record(group, ['grounding', 'by_qtype', qtype]);
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

export function parseMetrics(text: string, file: string): Read<MetricsDocument | null> {
  const { doc, problems } = locate(text, file);
  if (!doc) return { value: null, problems };
  const check = new Checker(file, doc);
  const top = check.record(doc.value, []);
  if (!top || !checkFormat(check, top, METRICS_FORMAT)) return { value: null, problems: check.problems };
  const n = check.number(top.n, ['n']);
  const overall = check.record(top.overall, ['overall']);
  const byQtype: MetricsDocument['byQtype'] = {};
  const groups = check.record(top.by_qtype, ['by_qtype']);
  for (const [qtype, group] of Object.entries(groups ?? {})) {
    const record = check.record(group, ['by_qtype', qtype]);
    if (!record) continue;
    const count = check.number(record.n, ['by_qtype', qtype, 'n']);
    if (count == null) continue;
    byQtype[qtype] = { n: count, metrics: metricValues(check, record, ['by_qtype', qtype]) };
  }
  const runtime = isRecord(top.runtime)
    ? {
        device: stringOrNull(top.runtime.device),
        seconds: typeof top.runtime.seconds === 'number' ? top.runtime.seconds : null,
      }
    : null;
  const overallValues = overall ? metricValues(check, overall, ['overall']) : {};
  addGrounding(check, top.grounding, overallValues, byQtype);
  const document: MetricsDocument = {
    n: n ?? 0,
    total: typeof top.total === 'number' ? top.total : null,
    cancelled: top.cancelled === true,
    overall: overallValues,
    byQtype,
    hygiene: hygieneReport(check, top.hygiene),
    model: recordedPath(top.model, file),
    adapter: recordedPath(top.adapter, file),
    decoding: isRecord(top.decoding) ? top.decoding : null,
    runtime,
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
  const record = check.record(value, path);
  for (const [name, entry] of Object.entries(record ?? {})) {
    const at = [...path, name];
    const fields = check.record(entry, at);
    if (!fields) continue;
    const base = check.number(fields.base, [...at, 'base'], true);
    const candidate = check.number(fields.candidate, [...at, 'candidate'], true);
    const absoluteChange = check.number(fields.absolute_change, [...at, 'absolute_change'], true);
    const relativeChange = check.number(fields.relative_change, [...at, 'relative_change'], true);
    const ci = check.interval(fields.ci, [...at, 'ci']);
    const pValue = check.number(fields.p_value, [...at, 'p_value'], true);
    if ([base, candidate, absoluteChange, relativeChange, ci, pValue].includes(undefined)) continue;
    entries[name] = { base, candidate, absoluteChange, relativeChange, ci, pValue } as PairedEntry;
  }
  return entries;
}

function comparisonSide(value: unknown, file: string): ComparisonSide {
  const side = isRecord(value) ? value : {};
  return {
    dir: recordedPath(side.dir, file),
    model: recordedPath(side.model, file),
    adapter: recordedPath(side.adapter, file),
    decodingHash: stringOrNull(side.decoding_hash),
    n: typeof side.n === 'number' ? side.n : null,
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
  const top = check.record(doc.value, []);
  if (!top || !checkFormat(check, top, COMPARISON_FORMAT)) return { value: null, problems: check.problems };
  const n = check.number(top.n, ['n']);
  const byQtype: ComparisonDocument['byQtype'] = {};
  for (const [qtype, group] of Object.entries(check.record(top.by_qtype, ['by_qtype']) ?? {})) {
    const record = check.record(group, ['by_qtype', qtype]);
    const count = record && check.number(record.n, ['by_qtype', qtype, 'n']);
    if (record && count != null)
      byQtype[qtype] = {
        n: count,
        metrics: pairedEntries(check, record.metrics, ['by_qtype', qtype, 'metrics']),
      };
  }
  const higherIsBetter: Record<string, boolean> = {};
  if (isRecord(top.higher_is_better)) {
    for (const [name, flag] of Object.entries(top.higher_is_better))
      if (typeof flag === 'boolean') higherIsBetter[name] = flag;
  }
  const document: ComparisonDocument = {
    n: n ?? 0,
    onlyInBase: typeof top.only_in_base === 'number' ? top.only_in_base : 0,
    onlyInCandidate: typeof top.only_in_candidate === 'number' ? top.only_in_candidate : 0,
    base: comparisonSide(top.base, file),
    candidate: comparisonSide(top.candidate, file),
    metrics: pairedEntries(check, top.metrics, ['metrics']),
    byQtype,
    higherIsBetter,
  };
  return { value: n === undefined ? null : document, problems: check.problems };
}
