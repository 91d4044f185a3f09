import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvaluationSide } from '../protocol/metricsPanel';
import type { GradeFlag, GradeValue, Preference } from '../protocol/gradingPanel';

/**
 * The grade store (contract #5 in docs/protocol.md): one append-only JSON-lines file per grader in
 * `.medqa/grades/<grader>.jsonl`. A line is a whole grade (or a blind preference); on read the latest line per
 * key wins, so changing a flag appends a new line and nothing is ever rewritten. Keys include the decoding hash and
 * a hash of the answer text, so a grade never applies to a different answer: a changed answer shows the old
 * grade as stale instead.
 */
export const GRADES_DIR = path.join('.medqa', 'grades');
export const GRADE_FORMAT = 'medqa-grade';
export const GRADE_VERSION = 1;
export const GRADE_FLAGS: readonly GradeFlag[] = [
  'unsafe',
  'hallucinated',
  'missing',
  'outdated',
  'unsupported',
];
export const GRADE_LABELS: Record<GradeValue, string> = {
  1: 'Incorrect',
  2: 'Incorrect but related',
  3: 'Correct but incomplete',
  4: 'Correct and complete',
};

/** Which answer a grade is for: the example, the model that wrote it (run, checkpoint, side) and how. */
export interface AnswerIdentity {
  example: string;
  run: string;
  checkpoint: string;
  side: EvaluationSide;
  /** The evaluator's decoding-settings hash. */
  decoding: string;
  /** `textHash` of the answer. */
  prediction: string;
}

export interface GradeRecord extends AnswerIdentity {
  kind: 'grade';
  grader: string;
  at: string;
  /** The evaluation folder's name, for people reading the file. */
  evaluation: string;
  grade: GradeValue | null;
  flags: GradeFlag[];
  comment: string;
  /** Given in blind mode: the seed of the A/B order and the letter this answer was shown as. */
  blind?: { seed: number; label: 'A' | 'B' };
}

export interface PreferenceRecord {
  kind: 'preference';
  grader: string;
  at: string;
  evaluation: string;
  example: string;
  run: string;
  checkpoint: string;
  decoding: string;
  /** Text hashes of the two answers compared. */
  predictions: Record<EvaluationSide, string>;
  seed: number;
  /** The sides shown as A and B. */
  order: { A: EvaluationSide; B: EvaluationSide };
  preference: Preference;
  /** Recorded with the reveal: the side preferred, or 'tie'. */
  preferred: EvaluationSide | 'tie';
}

export type StoreRecord = GradeRecord | PreferenceRecord;

export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

/**
 * The exact answer: a grade counts only for this text made this way. Blind grades are kept apart from open ones:
 * an answer already graded openly must not stand out (and give its model away) in blind mode.
 */
export function answerKey(a: AnswerIdentity, blind = false): string {
  return JSON.stringify([a.example, a.run, a.checkpoint, a.side, a.decoding, a.prediction, blind]);
}

/** The example and model, whatever the text: where an older grade is found to show it as stale. */
export function slotKey(
  a: Pick<AnswerIdentity, 'example' | 'run' | 'checkpoint' | 'side'>,
  blind = false,
): string {
  return JSON.stringify([a.example, a.run, a.checkpoint, a.side, blind]);
}

export function preferenceKey(
  p: Pick<PreferenceRecord, 'example' | 'run' | 'checkpoint' | 'decoding' | 'predictions'>,
): string {
  return JSON.stringify([
    p.example,
    p.run,
    p.checkpoint,
    p.decoding,
    p.predictions.base,
    p.predictions.adapter,
  ]);
}

const GRADER_PATTERN = /^[\p{L}\p{N}_][\p{L}\p{N}._ -]{0,63}$/u;

/** A grader name is a file name: letters, digits, `._ -`, at most 64 characters, not starting with a dot. */
export function graderProblem(name: string): string | undefined {
  if (GRADER_PATTERN.test(name) && name.trim() === name) return undefined;
  return (
    `"${name}" cannot be a grader name: use letters, digits, '.', '_', '-' or spaces (at most 64, not ` +
    `starting with a dot or space). Set "medqa.grading.grader".`
  );
}

/** The setting's value, else the OS user; throws with the fix when neither gives a usable name. */
export function resolveGrader(setting: string | undefined): string {
  let name = setting?.trim() ?? '';
  if (!name) {
    try {
      name = os.userInfo().username;
    } catch {
      name = '';
    }
  }
  if (!name) throw new Error('No grader name: set "medqa.grading.grader" (the OS reports no user name).');
  const problem = graderProblem(name);
  if (problem) throw new Error(problem);
  return name;
}

export function graderFile(gradesDir: string, grader: string): string {
  const problem = graderProblem(grader);
  if (problem) throw new Error(problem);
  return path.join(gradesDir, `${grader}.jsonl`);
}

/** Every line starts with this, so a line glued to the torn end of a crashed write can still be found. */
export const LINE_START = `{"format":"${GRADE_FORMAT}"`;

/** Every grader's latest records, with the problems found reading them (never fatal). */
export interface GradeBook {
  graders: string[];
  /** grader → answerKey → latest grade. */
  grades: Map<string, Map<string, GradeRecord>>;
  /** grader → slotKey → latest grade whatever the text (for stale grades). */
  latestBySlot: Map<string, Map<string, GradeRecord>>;
  /** grader → preferenceKey → latest preference. */
  preferences: Map<string, Map<string, PreferenceRecord>>;
  problems: string[];
}

export function emptyBook(): GradeBook {
  return { graders: [], grades: new Map(), latestBySlot: new Map(), preferences: new Map(), problems: [] };
}

const isSide = (v: unknown): v is EvaluationSide => v === 'base' || v === 'adapter';
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The optional fields of a grade, checked: a field that is there with the wrong type makes the line a problem
 * instead of being read as empty (`flags: "unsafe"` read as no flags, or a malformed `blind` read as an open
 * grade, would silently change what the grader recorded).
 */
function gradeExtras(
  v: Record<string, unknown>,
): { flags: GradeFlag[]; comment: string; blind?: GradeRecord['blind'] } | string {
  const flags = v.flags ?? [];
  if (!Array.isArray(flags) || !flags.every((f) => GRADE_FLAGS.includes(f as GradeFlag)))
    return `'flags' must be a list of ${GRADE_FLAGS.map((f) => `"${f}"`).join(', ')}, not ${JSON.stringify(v.flags)}`;
  if (new Set(flags).size !== flags.length) return `'flags' lists a flag twice: ${JSON.stringify(flags)}`;
  const comment = v.comment ?? '';
  if (!isString(comment)) return `'comment' must be a string, not ${JSON.stringify(v.comment)}`;
  if (v.blind === undefined) return { flags: flags as GradeFlag[], comment };
  const blind = v.blind;
  if (!isObject(blind) || !Number.isSafeInteger(blind.seed) || (blind.label !== 'A' && blind.label !== 'B'))
    return `'blind' must be {"seed": an integer, "label": "A" or "B"}, not ${JSON.stringify(blind)}`;
  return { flags: flags as GradeFlag[], comment, blind: { seed: blind.seed as number, label: blind.label } };
}

/**
 * Checks one parsed line; returns the record or what is wrong with it. A record names no other grader than the
 * file's: a grade file is one person's, so a line in alice.jsonl claiming to be bob's is refused rather than
 * trusted (it would let one file speak for another grader and skew the agreement between graders).
 */
export function parseRecord(value: unknown, fileGrader: string): StoreRecord | string {
  if (!isObject(value)) return 'not a JSON object';
  const v = value;
  if (v.format !== GRADE_FORMAT) return `format is ${JSON.stringify(v.format)}, expected "${GRADE_FORMAT}"`;
  if (v.version !== GRADE_VERSION)
    return `version ${JSON.stringify(v.version)}; this MedQA Studio reads version ${GRADE_VERSION}`;
  if (graderProblem(fileGrader))
    return `the file is not named after a grader ("${fileGrader}" is not a grader name)`;
  if (v.grader !== undefined && v.grader !== fileGrader)
    return (
      `grader ${JSON.stringify(v.grader)} in ${fileGrader}'s file: a grade file holds only the grades of the ` +
      `grader it is named after`
    );
  const grader = fileGrader;
  for (const field of ['at', 'example', 'run', 'checkpoint', 'decoding'])
    if (!isString(v[field])) return `'${field}' must be a string`;
  if (v.evaluation !== undefined && !isString(v.evaluation)) return `'evaluation' must be a string`;
  const common = {
    grader,
    at: v.at as string,
    evaluation: isString(v.evaluation) ? v.evaluation : '',
    example: v.example as string,
    run: v.run as string,
    checkpoint: v.checkpoint as string,
    decoding: v.decoding as string,
  };
  if (v.kind === 'grade') {
    if (!isSide(v.side)) return `'side' must be "base" or "adapter"`;
    if (!isString(v.prediction)) return `'prediction' must be a string`;
    if (v.grade !== null && ![1, 2, 3, 4].includes(v.grade as number)) return `'grade' must be 1–4 or null`;
    const extras = gradeExtras(v);
    if (typeof extras === 'string') return extras;
    return {
      kind: 'grade',
      ...common,
      side: v.side,
      prediction: v.prediction,
      grade: v.grade as GradeValue | null,
      ...extras,
    };
  }
  if (v.kind === 'preference') {
    const { predictions, order } = v;
    if (!isObject(predictions) || !isString(predictions.base) || !isString(predictions.adapter))
      return `'predictions' must name the base and adapter text hashes`;
    if (!isObject(order) || !isSide(order.A) || !isSide(order.B)) return `'order' must map A and B to sides`;
    if (order.A === order.B)
      return `'order' shows ${JSON.stringify(order.A)} as both A and B; blind A/B compares the two sides`;
    if (v.preference !== 'A' && v.preference !== 'B' && v.preference !== 'tie')
      return `'preference' must be "A", "B" or "tie"`;
    if (v.seed !== undefined && !Number.isSafeInteger(v.seed)) return `'seed' must be an integer`;
    return {
      kind: 'preference',
      ...common,
      predictions: { base: predictions.base, adapter: predictions.adapter },
      seed: (v.seed as number | undefined) ?? 0,
      order: { A: order.A, B: order.B },
      preference: v.preference,
      preferred: v.preference === 'tie' ? 'tie' : v.preference === 'A' ? order.A : order.B,
    };
  }
  return `unknown kind ${JSON.stringify(v.kind)}`;
}

function mapOf<V>(outer: Map<string, Map<string, V>>, grader: string): Map<string, V> {
  let inner = outer.get(grader);
  if (!inner) outer.set(grader, (inner = new Map()));
  return inner;
}

/**
 * Adds one line of `<fileGrader>.jsonl` (1-based `lineNumber`; `unterminated`: the file's last line, with no
 * newline yet) to the book; what is wrong with it goes to `problems` as `file:line: what`.
 */
export function addGradeLine(
  book: GradeBook,
  problems: string[],
  file: string,
  lineNumber: number,
  raw: string,
  unterminated: boolean,
): void {
  if (!raw.trim()) return;
  const fileGrader = path.basename(file, '.jsonl');
  const where = `${file}:${lineNumber}`;
  // A crash can leave a torn line; the next append then continues on it. Each record starts with LINE_START,
  // so the pieces are read apart and only the torn one is lost.
  const pieces = raw
    .split(LINE_START)
    .flatMap((piece, i) => (i === 0 ? (piece ? [piece] : []) : [LINE_START + piece]));
  for (const piece of pieces.length > 0 ? pieces : [raw]) {
    let value: unknown;
    try {
      value = JSON.parse(piece);
    } catch {
      problems.push(
        unterminated
          ? `${where}: the last line is incomplete (a write was cut off); it is skipped`
          : `${where}: ${pieces.length > 1 ? 'a record cut off by a crash' : 'not valid JSON'}; it is skipped`,
      );
      continue;
    }
    const record = parseRecord(value, fileGrader);
    if (typeof record === 'string') problems.push(`${where}: ${record}; the line is skipped`);
    else addRecord(book, record);
  }
}

/** Adds one file's text to the book; bad lines become problems (`file:line: what`), good ones all count. */
export function addGradeFile(book: GradeBook, file: string, text: string): void {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const endsWithNewline = text.endsWith('\n');
  lines.forEach((raw, index) =>
    addGradeLine(book, book.problems, file, index + 1, raw, index === lines.length - 1 && !endsWithNewline),
  );
}

function addRecord(book: GradeBook, record: StoreRecord): void {
  if (!book.graders.includes(record.grader)) book.graders.push(record.grader);
  if (record.kind === 'grade') {
    const blind = record.blind !== undefined;
    mapOf(book.grades, record.grader).set(answerKey(record, blind), record);
    mapOf(book.latestBySlot, record.grader).set(slotKey(record, blind), record);
  } else {
    mapOf(book.preferences, record.grader).set(preferenceKey(record), record);
  }
}

/** This grader's grade of exactly this answer (open or blind), and an older one for a different text (stale). */
export function gradeOf(
  book: GradeBook,
  grader: string,
  answer: AnswerIdentity,
  blind = false,
): { current: GradeRecord | undefined; stale: GradeRecord | undefined } {
  const current = book.grades.get(grader)?.get(answerKey(answer, blind));
  if (current) return { current, stale: undefined };
  const latest = book.latestBySlot.get(grader)?.get(slotKey(answer, blind));
  const stale = latest && (latest.prediction !== answer.prediction || latest.decoding !== answer.decoding);
  return { current: undefined, stale: stale ? latest : undefined };
}
