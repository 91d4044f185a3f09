/**
 * JSON Lines reader: one record per line, either `{question, answer, …}` (with the same aliases as CSV headers) or a
 * chat record `{"messages": [{role, content}, …]}` whose last user turn is the question and the assistant turn after
 * it the answer. A line that is not valid JSON or not a usable record becomes a problem; the rest imports.
 */
import type { ImportProblem, QaPair, SourceDocument } from '../model';
import type { FileReadResult } from './medquad';
import { canonicalField, type QaField } from './fieldNames';
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

/** Position of a JSON.parse error inside the line, when the engine tells it. */
function errorColumn(message: string): number | undefined {
  const match = /position (\d+)/.exec(message);
  return match ? Number(match[1]) + 1 : undefined;
}

/** A line longer than this is not parsed (no QA record is that long): it is reported and skipped. */
export const MAX_LINE_CHARS = 16 << 20;

/** Reads a whole JSON Lines text (see readJsonlChunks). */
export function readJsonl(text: string, file: string): FileReadResult {
  return readJsonlChunks([text], file);
}

/** Reads JSON Lines given in chunks, line by line, so a big file streams through without one giant string. */
export function readJsonlChunks(chunks: Iterable<string>, file: string): FileReadResult {
  const name = file.replace(/^.*\//, '');
  const problems: ImportProblem[] = [];
  const pairs: QaPair[] = [];
  const documents = new Map<string, SourceDocument>();
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
    readLine(raw, line);
  }
  function readLine(raw: string, line: number): void {
    const source = raw.trim();
    if (!source) return;
    records++;
    let record: unknown;
    try {
      record = JSON.parse(source);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      problems.push({
        file,
        line,
        column: errorColumn(message),
        kind: 'bad-json',
        message: `invalid JSON: ${message}`,
      });
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      problems.push({ file, line, kind: 'bad-row', message: 'expected a JSON object on each line' });
      return;
    }
    const fields: Partial<Record<QaField, string>> = {};
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
      if (typeof chat === 'string') {
        problems.push({ file, line, kind: 'bad-row', message: chat });
        return;
      }
      fields.question = chat.question;
      fields.answer = chat.answer;
    } else if (fields.answer === undefined && unreadableAnswer !== undefined) {
      problems.push({
        file,
        line,
        kind: 'bad-row',
        message: `"${unreadableAnswer}" is not text: expected a string`,
      });
      return;
    }
    const question = fields.question?.trim();
    if (!question) {
      problems.push({
        file,
        line,
        kind: 'bad-row',
        message: 'no question: expected {"question": …, "answer": …} or {"messages": [...]}',
      });
      return;
    }
    const sourceName = fields.source?.trim() || name;
    let document = documents.get(sourceName);
    if (!document) {
      document = { id: name, collection: name, source: sourceName, file };
      documents.set(sourceName, document);
    }
    const pid = fields.id?.trim() || String(line);
    const focus = fields.focus?.trim();
    pairs.push({
      id: `${name}/${pid}`,
      document: focus ? { ...document, focus } : document,
      pid,
      qtype: fields.qtype?.trim() || 'unspecified',
      question,
      answer: (fields.answer ?? '').replace(/\r\n?/g, '\n').trim(),
    });
  }
  if (records === 0) {
    problems.push({
      file,
      line: 1,
      kind: 'bad-row',
      message: 'the file is empty: expected one JSON object per line',
    });
  }
  return { pairs, problems, idPrefix: name };
}
