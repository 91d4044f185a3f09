/**
 * Citations of retrieved sources in an answer ([1], [1, 3], [2-4]) and the sources an answer was given, as
 * prediction rows record them (docs/protocol.md #3, `retrieved` / `cited`). `citedNumbers` follows the trainer's
 * `metrics.grounding.cited_numbers` (what evaluate records and scores) exactly; test/fixtures/retrieval/citations.json
 * holds the cases both sides are tested on.
 * (No vscode import: the Playground and Grading webviews use it too.)
 */
import * as v from 'valibot';

/**
 * The trainer's pattern: numbers of at most 6 digits, optionally joined by commas or ranges (hyphen or en dash), in
 * brackets (a longer number is no citation: the trainer's bound against a 4,300-digit "[n]").
 */
const CITATION = /\[(\d{1,6}(?:\s*[-\u2013,]\s*\d{1,6})*)\]/g;
/** A range wider than this is read as its two ends (a year span like [1990-2020] is not 31 citations). */
const MAX_RANGE = 20;

/** The numbers one bracket cites, in order, each once. */
function numbersOf(inner: string): number[] {
  const numbers: number[] = [];
  for (const part of inner.split(',')) {
    const ends = part
      .trim()
      .split(/\s*[-\u2013]\s*/)
      .filter(Boolean)
      .map(Number);
    // A range a-b (0 <= b - a <= 20) is every number in it; anything else is its numbers as written.
    const found =
      ends.length === 2 && ends[1] - ends[0] >= 0 && ends[1] - ends[0] <= MAX_RANGE
        ? Array.from({ length: ends[1] - ends[0] + 1 }, (_, i) => ends[0] + i)
        : ends;
    for (const n of found) if (!numbers.includes(n)) numbers.push(n);
  }
  return numbers;
}

/** The source numbers an answer cites, in order of first mention, each once (as `cited_numbers`). */
export function citedNumbers(answer: string): number[] {
  const numbers: number[] = [];
  for (const match of answer.matchAll(CITATION))
    for (const n of numbersOf(match[1])) if (!numbers.includes(n)) numbers.push(n);
  return numbers;
}

/** An answer cut into plain text and citations, to render each citation as a link to its sources. */
export type AnswerSegment = { text: string } | { text: string; cites: number[] };

export function citationSegments(answer: string): AnswerSegment[] {
  const segments: AnswerSegment[] = [];
  let at = 0;
  for (const match of answer.matchAll(CITATION)) {
    const start = match.index;
    if (start > at) segments.push({ text: answer.slice(at, start) });
    segments.push({ text: match[0], cites: numbersOf(match[1]) });
    at = start + match[0].length;
  }
  if (at < answer.length) segments.push({ text: answer.slice(at) });
  return segments;
}

/** Only web links leave the editor: a `file:`, `command:` or `javascript:` URL in a dataset is never opened. */
export function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/** A webview's request to open a source's NIH link (the Playground's and the Grading panel's, checked alike). */
export const openSourceMessage = v.strictObject({
  type: v.literal('openSource'),
  url: v.pipe(
    v.string(),
    v.maxLength(2_000),
    v.check(isWebUrl, 'only an http(s) link of a source can be opened'),
  ),
});

/** One source as the model was given it (a prediction row's `retrieved` item, the serve reply's `sources`). */
export const RetrievedSourceSchema = v.object({
  n: v.pipe(v.number(), v.integer(), v.minValue(1)),
  id: v.string(),
  url: v.nullish(v.string()),
  score: v.optional(v.number()),
  question: v.string(),
  text: v.string(),
  cut: v.optional(v.boolean()),
  /** The NIH site it came from (the hit's `source`); the trainer's rows may leave it out. */
  source: v.nullish(v.string()),
});
export type RetrievedSource = v.InferOutput<typeof RetrievedSourceSchema>;

/** A row's `retrieved`, or undefined when it has none or it is not a list of sources (then nothing is shown). */
export function parseRetrieved(value: unknown): RetrievedSource[] | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = v.safeParse(v.array(RetrievedSourceSchema), value);
  return parsed.success ? parsed.output : undefined;
}
