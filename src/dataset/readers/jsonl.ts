/**
 * JSON Lines reader: one record per line, either `{question, answer, …}` (with the same aliases as CSV headers) or a
 * chat record `{"messages": [{role, content}, …]}` whose last user turn is the question and the assistant turn after
 * it the answer. A line that is not valid JSON or not a usable record becomes a problem; the rest imports.
 */
import type { QaPair, SourceDocument } from '../model';
import type { FileReadResult } from './medquad';
import { canonicalField, nearMissField, type QaField } from './fieldNames';
import { ProblemLog } from './problemLog';
import { splitLines } from './chunks';

interface ChatMessage {
  role?: unknown;
  content?: unknown;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  // OpenAI-style content parts: [{type: 'text', text: '…'}] (other parts, e.g. images, have no text)
  if (
    Array.isArray(value) &&
    value.every((part) => typeof part === 'object' && part !== null && !Array.isArray(part))
  ) {
    const parts = value.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''));
    return parts.join('');
  }
  return undefined;
}

function fromMessages(messages: ChatMessage[]): { question: string; answer: string } | string {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  if (lastUser === -1) return 'the messages have no "user" turn';
  const question = textOf(messages[lastUser].content);
  if (question === undefined) return 'the user turn has no text content';
  const reply = messages.slice(lastUser + 1).find((m) => m?.role === 'assistant');
  const answer = reply?.content == null ? '' : textOf(reply.content);
  if (answer === undefined) return 'the assistant turn has no text content';
  return { question, answer };
}

/**
 * A JSON.parse error as the file's position: the engine counts from the start of the text it parsed (one line,
 * trimmed) and newer engines add "(line 1 column 80)", which named the wrong line. `offset` is the number of
 * characters trimmed from the line's start.
 */
export function jsonErrorAt(message: string, offset: number): { column?: number; reason: string } {
  const match = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message);
  if (!match) return { reason: message };
  return {
    column: offset + Number(match[1]) + 1,
    reason: (message.slice(0, match.index) + message.slice(match.index + match[0].length)).trim(),
  };
}

/** "unknown key 'qustion' (did you mean 'question'?)" for the keys of `record` that look like `field`'s. */
function nearMisses(record: object, field: QaField): string[] {
  return Object.keys(record).flatMap((key) => {
    const near = nearMissField(key);
    return near?.field === field ? [`unknown key '${key}' (did you mean '${near.name}'?)`] : [];
  });
}

/** A line longer than this is not parsed (no QA record is that long): it is reported and skipped. */
export const MAX_LINE_CHARS = 16 << 20;

/** Reads a whole JSON Lines text (see readJsonlChunks). */
export function readJsonl(text: string, file: string): FileReadResult {
  return readJsonlChunks([text], file);
}

type Fields = Partial<Record<QaField, string>>;
/** Why a line gives no pair. */
interface LineProblem {
  kind: 'bad-json' | 'bad-row';
  column?: number;
  problem: string;
}

/** The JSON object on a line, or the JSON error with its column in the file. */
function parseRecord(raw: string, line: number): { record: object } | LineProblem {
  let record: unknown;
  try {
    record = JSON.parse(raw.trim());
  } catch (error) {
    const { column, reason } = jsonErrorAt(
      error instanceof Error ? error.message : String(error),
      raw.length - raw.trimStart().length,
    );
    return {
      kind: 'bad-json',
      ...(column !== undefined ? { column } : {}),
      problem: `invalid JSON at line ${line}${column !== undefined ? `, column ${column}` : ''}: ${reason}`,
    };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { kind: 'bad-row', problem: 'expected a JSON object on each line' };
  return { record };
}

/** The record's QA fields: its keys (aliases as CSV headers), or the question and answer of its chat messages. */
function recordFields(record: object): Fields | string {
  const fields: Fields = {};
  let unreadableAnswer: string | undefined;
  for (const [key, value] of Object.entries(record)) {
    const field = canonicalField(key);
    const text = textOf(value);
    if (field && text !== undefined && fields[field] === undefined) fields[field] = text;
    else if (field === 'answer' && text === undefined && value !== null) unreadableAnswer ??= key;
  }
  const messages = (record as { messages?: unknown }).messages;
  if (Array.isArray(messages)) {
    const chat = fromMessages(messages as ChatMessage[]);
    if (typeof chat === 'string') return chat;
    fields.question = chat.question;
    fields.answer = chat.answer;
  } else if (fields.answer === undefined && unreadableAnswer !== undefined) {
    return `"${unreadableAnswer}" is not text: expected a string`;
  }
  return fields;
}

/** A record's fields, refused without a question or with a misspelt answer key. */
function readRecord(record: object): { fields: Fields; question: string } | LineProblem {
  const fields = recordFields(record);
  if (typeof fields === 'string') return { kind: 'bad-row', problem: fields };
  const question = fields.question?.trim();
  if (!question) {
    const misspelt = fields.question === undefined ? nearMisses(record, 'question') : [];
    return {
      kind: 'bad-row',
      problem: misspelt.length
        ? `no question: ${misspelt.join('; ')}`
        : 'no question: expected {"question": …, "answer": …} or {"messages": [...]}',
    };
  }
  // Without this a misspelt answer key imports the pair as unanswered, silently.
  const misspeltAnswer = fields.answer === undefined ? nearMisses(record, 'answer') : [];
  if (misspeltAnswer.length) return { kind: 'bad-row', problem: `no answer: ${misspeltAnswer.join('; ')}` };
  return { fields, question };
}

/** The pairs of one file: one document per source name (the file's name by default). */
class JsonlPairs {
  readonly pairs: QaPair[] = [];
  private readonly documents = new Map<string, SourceDocument>();

  constructor(
    private readonly file: string,
    private readonly name: string,
  ) {}

  add(fields: Fields, question: string, line: number): void {
    const { file, name } = this;
    const sourceName = fields.source?.trim() || name;
    let document = this.documents.get(sourceName);
    if (!document) {
      document = { id: name, collection: name, source: sourceName, file };
      this.documents.set(sourceName, document);
    }
    const pid = fields.id?.trim() || String(line);
    const focus = fields.focus?.trim();
    this.pairs.push({
      id: `${name}/${pid}`,
      document: focus ? { ...document, focus } : document,
      pid,
      qtype: fields.qtype?.trim() || 'unspecified',
      question,
      answer: (fields.answer ?? '').replace(/\r\n?/g, '\n').trim(),
    });
  }
}

/** Reads JSON Lines given in chunks, line by line, so a big file streams through without one giant string. */
export function readJsonlChunks(chunks: Iterable<string>, file: string): FileReadResult {
  const name = file.replace(/^.*\//, '');
  const problems = new ProblemLog(file);
  const pairs = new JsonlPairs(file, name);
  let records = 0;
  const lines = splitLines(chunks, MAX_LINE_CHARS, (line) => {
    records++;
    problems.push({
      file,
      line,
      kind: 'bad-row',
      message: `the line is longer than ${MAX_LINE_CHARS >> 20} M characters; skipped`,
    });
  });
  for (const { text: raw, line } of lines) {
    if (!raw.trim()) continue;
    records++;
    const parsed = parseRecord(raw, line);
    const reading = 'record' in parsed ? readRecord(parsed.record) : parsed;
    if ('fields' in reading) pairs.add(reading.fields, reading.question, line);
    else {
      const { problem, column, kind } = reading;
      problems.push({
        file,
        line,
        ...(column !== undefined ? { column } : {}),
        kind: kind ?? 'bad-row',
        message: problem,
      });
    }
  }
  if (records === 0) {
    problems.push({
      file,
      line: 1,
      kind: 'bad-row',
      message: 'the file is empty: expected one JSON object per line',
    });
  }
  return { pairs: pairs.pairs, problems: problems.list(), idPrefix: name };
}
