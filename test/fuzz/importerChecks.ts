/**
 * Invariants every importer must keep for any input, and a seeded driver that counts violations.
 *
 * A crash is an exception out of a reader (or a rejected importDataset). An unreported problem is input that was
 * dropped or changed without an ImportProblem saying so: a JSONL line or CSV record with neither a pair nor a
 * problem, a malformed XML file without a problem, a pair without a question, a file that is not UTF-8 read
 * silently. "Other" is any other broken promise: a valid document not read exactly, a problem without a usable
 * position, ids that are not unique.
 */
import { isUtf8 } from 'node:buffer';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { importDataset } from '../../src/dataset/import';
import type { ImportProblem, QaPair } from '../../src/dataset/model';
import { parseCsv, readCsv } from '../../src/dataset/readers/csv';
import { canonicalField, mapHeader } from '../../src/dataset/readers/fieldNames';
import { readJsonl } from '../../src/dataset/readers/jsonl';
import { readMedQuadXml, type FileReadResult } from '../../src/dataset/readers/medquad';
import {
  anyFuzzInput,
  bytesOf,
  fuzzInputs,
  markupOnly,
  textOf,
  type ExpectedPair,
  type Format,
  type FuzzInput,
} from './importerInputs';

export type FindingKind = 'crash' | 'unreported' | 'other';

export interface Finding {
  kind: FindingKind;
  message: string;
}

/** The collection an XML file lives in (its folder's name), for the reader and for importDataset alike. */
export const XML_COLLECTION = 'Fuzz_QA';

const PROBLEM_KINDS = new Set<string>([
  'malformed-xml',
  'missing-column',
  'bad-row',
  'bad-json',
  'bad-encoding',
  'unreadable',
  'unsupported',
  'duplicate-id',
]);

/** Runs the reader for the input's format the way importDataset does (CSV/JSONL get the bytes as UTF-8 text). */
export function readInput(input: FuzzInput): FileReadResult {
  switch (input.format) {
    case 'xml':
      return readMedQuadXml(input.data, XML_COLLECTION, input.fileName);
    case 'csv':
      return readCsv(textOf(input), input.fileName);
    case 'jsonl':
      return readJsonl(textOf(input), input.fileName);
  }
}

function crashMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

function shapeFindings(result: FileReadResult, file: string): Finding[] {
  const findings: Finding[] = [];
  const other = (message: string): void => void findings.push({ kind: 'other', message });
  for (const problem of result.problems) {
    if (problem.file !== file) other(`problem names file ${JSON.stringify(problem.file)}, not ${file}`);
    if (!PROBLEM_KINDS.has(problem.kind)) other(`unknown problem kind ${problem.kind}`);
    if (typeof problem.message !== 'string' || !problem.message) other('problem without a message');
    for (const key of ['line', 'column'] as const) {
      const value = problem[key];
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) other(`problem ${key} ${value}`);
    }
  }
  for (const pair of result.pairs) {
    if (!pair.question.trim()) {
      findings.push({
        kind: 'unreported',
        message: `pair ${pair.id} has no question and no problem says so`,
      });
    }
    if (!pair.id.startsWith(`${result.idPrefix}/`))
      other(`pair id ${pair.id} lacks the prefix ${result.idPrefix}/`);
    if (!pair.qtype) other(`pair ${pair.id} has an empty qtype`);
    if (typeof pair.answer !== 'string') other(`pair ${pair.id} answer is ${typeof pair.answer}`);
  }
  return findings;
}

function pairView(pair: QaPair): ExpectedPair {
  return {
    pid: pair.pid,
    ...(pair.qid !== undefined ? { qid: pair.qid } : {}),
    qtype: pair.qtype,
    question: pair.question,
    answer: pair.answer,
  };
}

function expectedFindings(result: FileReadResult, expected: ExpectedPair[]): Finding[] {
  const findings: Finding[] = [];
  if (result.problems.length) {
    findings.push({
      kind: 'other',
      message: `a valid document gave problems: ${JSON.stringify(result.problems).slice(0, 400)}`,
    });
  }
  const got = JSON.stringify(result.pairs.map(pairView));
  const want = JSON.stringify(expected);
  if (got !== want) {
    const i = [...got].findIndex((ch, k) => ch !== want[k]);
    findings.push({
      kind: 'other',
      message: `a valid document was not read exactly (first difference at ${i}):\n  got  ${got.slice(Math.max(0, i - 80), i + 120)}\n  want ${want.slice(Math.max(0, i - 80), i + 120)}`,
    });
  }
  return findings;
}

/** Number of <QAPair>/<pair> start tags in real markup (not in comments or CDATA). */
function pairTagCount(text: string): number {
  return [...markupOnly(text).matchAll(/<(qapair|pair)(?=[\s>/])/gi)].length;
}

function xmlFindings(input: FuzzInput, result: FileReadResult): Finding[] {
  const findings: Finding[] = [];
  const fatal = result.problems.filter((p) => p.kind === 'malformed-xml' || p.kind === 'unsupported');
  if (input.broken && result.problems.length === 0) {
    findings.push({ kind: 'unreported', message: `malformed document (${input.broken}) gave no problem` });
  }
  if (!fatal.length) {
    // A well-formed file: every pair element becomes a pair or a problem.
    const tags = pairTagCount(textOf(input));
    const rowProblems = result.problems.filter((p) => p.kind === 'bad-row').length;
    if (tags !== result.pairs.length + rowProblems) {
      findings.push({
        kind: 'unreported',
        message: `${tags} pair elements but ${result.pairs.length} pairs and ${rowProblems} pair problems`,
      });
    }
  }
  return findings;
}

/** The reader's delimiter rule ("tab for .tsv, else the most common of , ; tab in the first line"). */
function csvDelimiter(text: string, file: string): string {
  if (/\.tsv$/i.test(file)) return '\t';
  const firstLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 1 ? counts[0][0] : ',';
}

function csvFindings(input: FuzzInput, result: FileReadResult): Finding[] {
  const findings: Finding[] = [];
  const unreported = (message: string): void => void findings.push({ kind: 'unreported', message });
  const text = textOf(input);
  const { records, unterminated } = parseCsv(text, csvDelimiter(text, input.fileName));
  const problems = [...result.problems];
  const take = (line: number): ImportProblem | undefined => {
    const i = problems.findIndex((p) => p.line === line);
    return i === -1 ? undefined : problems.splice(i, 1)[0];
  };
  if (unterminated && !take(unterminated.line)) {
    unreported(`an unclosed quote on line ${unterminated.line} (the rest of the file) has no problem`);
  }
  const [header, ...rows] = records;
  const hasNul = (fields: string[]) => fields.some((field) => field.includes('\0'));
  const columns = header && !hasNul(header.fields) ? mapHeader(header.fields) : {};
  if (!header || columns.question === undefined || columns.answer === undefined) {
    if (!take(header?.line ?? 1)) unreported('no header with question and answer columns, and no problem');
    if (result.pairs.length) findings.push({ kind: 'other', message: 'pairs without a usable header' });
    return findings;
  }
  const needed = Math.max(columns.question, columns.answer);
  let pairs = 0;
  for (const record of rows) {
    // A row with NUL bytes is not text: skipped, with a problem.
    const readable =
      record.fields.length > needed &&
      record.fields[columns.question].trim() !== '' &&
      !hasNul(record.fields);
    // Fields past the header's columns have no name: their text is not imported, so it needs a problem.
    const lost = record.fields.slice(header.fields.length).some((field) => field.trim() !== '');
    if (readable) pairs++;
    if (!readable || lost) {
      if (!take(record.line)) {
        unreported(
          `record on line ${record.line} (${record.fields.length} fields: ${JSON.stringify(record.fields).slice(0, 200)}) ${
            readable ? 'lost fields past the header' : 'was skipped'
          } without a problem`,
        );
      }
    }
  }
  if (pairs !== result.pairs.length) {
    unreported(`${rows.length} records should give ${pairs} pairs, got ${result.pairs.length}`);
  }
  if (problems.length) {
    findings.push({
      kind: 'other',
      message: `problems for no record: ${JSON.stringify(problems).slice(0, 300)}`,
    });
  }
  return findings;
}

/** What the reader can take as text: a string, a number, or chat content parts ({text}). */
function isText(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'number' ||
    (Array.isArray(value) &&
      value.every((part) => typeof part === 'object' && part !== null && !Array.isArray(part)))
  );
}

/** Whether a record (a plain one, or chat) holds an answer the reader cannot take as text (so it drops it). */
function unreadableAnswer(record: Record<string, unknown>): boolean {
  const messages = record.messages;
  if (Array.isArray(messages)) {
    let lastUser = -1;
    messages.forEach((m: { role?: unknown } | null, i) => {
      if (m?.role === 'user') lastUser = i;
    });
    if (lastUser === -1) return false;
    const reply = messages
      .slice(lastUser + 1)
      .find((m: { role?: unknown } | null) => m?.role === 'assistant') as { content?: unknown } | undefined;
    return reply !== undefined && reply.content != null && !isText(reply.content);
  }
  const answers = Object.entries(record).filter(([key]) => canonicalField(key) === 'answer');
  return !answers.some(([, value]) => isText(value)) && answers.some(([, value]) => value !== null);
}

function jsonlFindings(input: FuzzInput, result: FileReadResult): Finding[] {
  const findings: Finding[] = [];
  const text = textOf(input);
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  const nonBlank = lines.flatMap((line, i) => (line.trim() ? [i + 1] : []));
  if (!nonBlank.length) {
    if (!result.problems.length)
      findings.push({ kind: 'unreported', message: 'a file without records gave no problem' });
    return findings;
  }
  const problemLines = result.problems.map((p) => p.line);
  if (result.pairs.length + result.problems.length !== nonBlank.length) {
    findings.push({
      kind: 'unreported',
      message: `${nonBlank.length} non-blank lines gave ${result.pairs.length} pairs and ${result.problems.length} problems`,
    });
  }
  const known = new Set(nonBlank);
  for (const line of problemLines) {
    if (line === undefined || !known.has(line))
      findings.push({ kind: 'other', message: `problem on line ${line}` });
  }
  if (new Set(problemLines).size !== problemLines.length) {
    findings.push({ kind: 'other', message: 'two problems for one line' });
  }
  for (const lineNo of nonBlank) {
    let value: unknown;
    try {
      value = JSON.parse(lines[lineNo - 1]);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    if (unreadableAnswer(value as Record<string, unknown>) && !problemLines.includes(lineNo)) {
      findings.push({
        kind: 'unreported',
        message: `line ${lineNo} has an answer that is not text (${lines[lineNo - 1].slice(0, 160)}) and no problem`,
      });
    }
  }
  return findings;
}

/** All reader-level invariants for one input. */
export function checkReader(input: FuzzInput): Finding[] {
  let result: FileReadResult;
  try {
    result = readInput(input);
  } catch (error) {
    return [{ kind: 'crash', message: crashMessage(error) }];
  }
  const findings = shapeFindings(result, input.fileName);
  if (input.expected) findings.push(...expectedFindings(result, input.expected));
  const byFormat: Record<Format, (input: FuzzInput, result: FileReadResult) => Finding[]> = {
    xml: xmlFindings,
    csv: csvFindings,
    jsonl: jsonlFindings,
  };
  findings.push(...byFormat[input.format](input, result));
  return findings;
}

/** importDataset on the input written to disk: never rejects, agrees with the reader, reports bad encodings. */
export async function checkImport(input: FuzzInput, folder: string): Promise<Finding[]> {
  const bytes = bytesOf(input);
  const dir = input.format === 'xml' ? path.join(folder, XML_COLLECTION) : folder;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, input.fileName);
  writeFileSync(file, bytes);
  const findings: Finding[] = [];
  try {
    let result;
    try {
      result = await importDataset(file);
    } catch (error) {
      return [{ kind: 'crash', message: `importDataset rejected: ${crashMessage(error)}` }];
    }
    const reader = readInput({ ...input, data: input.format === 'xml' ? bytes : bytes.toString('utf8') });
    const own = result.problems.filter((p) => p.kind !== 'duplicate-id' && p.kind !== 'bad-encoding');
    if (JSON.stringify(own) !== JSON.stringify(reader.problems)) {
      findings.push({ kind: 'other', message: 'importDataset and the reader report different problems' });
    }
    const renamed = result.pairs.filter((pair, i) => pair.id !== reader.pairs[i]?.id).length;
    const duplicates = result.problems.filter((p) => p.kind === 'duplicate-id').length;
    if (result.pairs.length !== reader.pairs.length || renamed !== duplicates) {
      findings.push({
        kind: 'other',
        message: `importDataset: ${result.pairs.length} pairs (${renamed} renamed, ${duplicates} duplicate-id problems), reader: ${reader.pairs.length}`,
      });
    }
    if (new Set(result.pairs.map((pair) => pair.id)).size !== result.pairs.length) {
      findings.push({ kind: 'other', message: 'importDataset returned duplicate ids' });
    }
    if (!isUtf8(bytes) && !result.problems.some((p) => p.kind === 'bad-encoding')) {
      findings.push({ kind: 'unreported', message: 'a file that is not UTF-8 was read without a problem' });
    }
    findings.push(
      ...shapeFindings({ ...result, idPrefix: reader.idPrefix }, input.fileName).filter(
        (f) => f.kind !== 'unreported',
      ),
    );
  } finally {
    unlinkSync(file);
  }
  return findings;
}

export interface FuzzReport {
  name: string;
  seed: number;
  tried: number;
  crashes: number;
  unreported: number;
  other: number;
  seconds: number;
  slowestMs: number;
  /** The first few failing inputs, described. */
  examples: string[];
}

function describe(input: FuzzInput, finding: Finding): string {
  const text = textOf(input);
  return [
    `${finding.kind}: ${finding.message}`,
    `  input: ${input.format} ${input.fileName}, ${bytesOf(input).length} bytes; steps: ${input.steps.join(' → ')}`,
    `  text: ${JSON.stringify(text.slice(0, 600))}${text.length > 600 ? '…' : ''}`,
  ].join('\n');
}

/** Runs `check` on `runs` inputs drawn with `seed`; every input runs (findings are counted, not thrown). */
export async function runFuzz(
  name: string,
  inputs: fc.Arbitrary<FuzzInput>,
  check: (input: FuzzInput) => Finding[] | Promise<Finding[]>,
  options: { runs: number; seed: number },
): Promise<FuzzReport> {
  const report: FuzzReport = {
    name,
    seed: options.seed,
    tried: 0,
    crashes: 0,
    unreported: 0,
    other: 0,
    seconds: 0,
    slowestMs: 0,
    examples: [],
  };
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      report.tried++;
      const t0 = performance.now();
      let findings: Finding[];
      try {
        findings = await check(input);
      } catch (error) {
        findings = [{ kind: 'crash', message: `the check itself threw: ${crashMessage(error)}` }];
      }
      report.slowestMs = Math.max(report.slowestMs, performance.now() - t0);
      const kinds = new Set(findings.map((finding) => finding.kind));
      if (kinds.has('crash')) report.crashes++;
      if (kinds.has('unreported')) report.unreported++;
      if (kinds.has('other')) report.other++;
      if (findings.length && report.examples.length < 8) report.examples.push(describe(input, findings[0]));
      return true;
    }),
    { numRuns: options.runs, seed: options.seed },
  );
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

export function summaryLine(report: FuzzReport): string {
  return (
    `fuzz ${report.name}: ${report.tried} inputs (seed ${report.seed}), ${report.crashes} crashes, ` +
    `${report.unreported} unreported problems, ${report.other} other violations, ` +
    `${report.seconds.toFixed(1)} s (slowest input ${report.slowestMs.toFixed(0)} ms)`
  );
}

/** A scratch folder for importDataset runs; call the returned function to remove it. */
export function scratchFolder(): { folder: string; remove: () => void } {
  const folder = mkdtempSync(path.join(tmpdir(), 'medqa-fuzz-'));
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export const FUZZ_SEED = 20261129;

/** What is fuzzed: each reader on its own, and importDataset on files on disk (any of the three formats). */
export const FUZZ_TARGETS: { name: string; inputs: fc.Arbitrary<FuzzInput>; onDisk: boolean }[] = [
  { name: 'readMedQuadXml', inputs: fuzzInputs.xml, onDisk: false },
  { name: 'readCsv', inputs: fuzzInputs.csv, onDisk: false },
  { name: 'readJsonl', inputs: fuzzInputs.jsonl, onDisk: false },
  { name: 'importDataset (files on disk)', inputs: anyFuzzInput, onDisk: true },
];

export async function fuzzTarget(
  target: (typeof FUZZ_TARGETS)[number],
  runs: number,
  seed = FUZZ_SEED,
): Promise<FuzzReport> {
  if (!target.onDisk) return runFuzz(target.name, target.inputs, checkReader, { runs, seed });
  const scratch = scratchFolder();
  try {
    return await runFuzz(target.name, target.inputs, (input) => checkImport(input, scratch.folder), {
      runs,
      seed,
    });
  } finally {
    scratch.remove();
  }
}
