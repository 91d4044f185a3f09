/**
 * The text shown for one QA pair: a read-only Markdown view (question, answer, metadata) and an editable form whose
 * saved text is parsed back into question and answer. Pure functions (no vscode), so the format is unit-tested.
 */
import type { CuratedPair } from '../overlay';
import { pushAll } from '../../util/arrays';

export const QUESTION_HEADING = '# Question';
export const ANSWER_HEADING = '# Answer';

export interface PairContext {
  split?: string;
  /** Ids of the other pairs in this pair's duplicate group(s). */
  duplicates?: readonly string[];
}

function field(name: string, value: string | undefined): string[] {
  return value ? [`- **${name}:** ${value}`] : [];
}

/** Read-only Markdown: question, answer, then metadata and curation state. */
export function renderPair(pair: CuratedPair, context: PairContext = {}): string {
  const doc = pair.document;
  const lines = [QUESTION_HEADING, '', pair.question, '', ANSWER_HEADING, ''];
  lines.push(pair.answer.trim() === '' ? '_(no answer in the source)_' : pair.answer, '', '---', '');
  pushAll(lines, [
    ...field('Id', `\`${pair.id}\``),
    ...field('Question type', pair.qtype),
    ...field('Collection', doc.collection),
    ...field('Document', doc.focus ? `${doc.focus} (${doc.id})` : doc.id),
    ...field('Source', doc.url ? `${doc.source} — ${doc.url}` : doc.source),
    ...field('File', doc.file),
    ...field('Split', context.split),
    ...field('Flagged', pair.flagged && `${pair.flagged.reason || '(no reason)'} (${pair.flagged.at})`),
    ...field('Excluded', pair.excluded && `${pair.excluded.reason || '(no reason)'} (${pair.excluded.at})`),
    ...field('Note', pair.note),
    ...field(
      'Duplicates',
      context.duplicates?.length ? context.duplicates.map((id) => `\`${id}\``).join(', ') : undefined,
    ),
  ]);
  if (pair.edited) {
    lines.push('', '## Original (before your edits)', '');
    if (pair.question !== pair.originalQuestion) lines.push(`**Question:** ${pair.originalQuestion}`, '');
    if (pair.answer !== pair.originalAnswer) lines.push(`**Answer:** ${pair.originalAnswer}`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const EDIT_HINT =
  '<!-- Edit the question and the answer, then save (Ctrl+S / Cmd+S). The edit is stored in .medqa/overlay.json; ' +
  'the source file is never changed. Keep the two headings. A line of the text that looks like one of them is ' +
  'written with a backslash before its # so it stays text; the backslash is removed on save. -->';

type HeadingName = 'Question' | 'Answer';

/** A line that would read as one of the form's headings, after any backslashes already escaping it. */
const HEADING_LIKE = /^(\s*)(\\*# (?:Question|Answer)\s*)$/;
/** The same line escaped once (what `escapeLine` made of it); unescaping drops that one backslash. */
const ESCAPED_HEADING = /^(\s*)\\(\\*# (?:Question|Answer)\s*)$/;

function isHeading(line: string, name: HeadingName): boolean {
  return line.trim() === `# ${name}`;
}

/**
 * Heading-like lines of the text get one more backslash, so the first bare heading lines are always the form's own
 * (mbox "From " quoting, with Markdown's own escape). Every other line, spacing included, is left exactly as it is.
 */
function escapeLine(line: string): string {
  return line.replace(HEADING_LIKE, '$1\\$2');
}

function unescapeLine(line: string): string {
  return line.replace(ESCAPED_HEADING, '$1$2');
}

/** The editable form: a hint comment, the question and the answer under their headings. */
export function renderEditable(pair: { question: string; answer: string }): string {
  const block = (text: string) => text.split('\n').map(escapeLine).join('\n');
  return `${EDIT_HINT}\n${QUESTION_HEADING}\n\n${block(pair.question)}\n\n${ANSWER_HEADING}\n\n${block(pair.answer)}\n`;
}

export class PairTextError extends Error {}

/**
 * Parses the editable form back: the text between the first `# Question` line and the first `# Answer` line after
 * it, and everything after that, with heading-like lines unescaped. Exact, so that an unchanged form saves the very
 * text it showed (spacing and blank lines included): only the blank line after each heading, the one before
 * `# Answer` and the final line break belong to the form. A file saved with CRLF line ends throughout reads as the LF
 * text it was rendered from. Throws PairTextError (with what to fix) when a heading is missing or the question is empty.
 */
export function parseEditable(text: string): { question: string; answer: string } {
  let lines = text.split('\n');
  const questionAt = lines.findIndex((line) => isHeading(line, 'Question'));
  if (questionAt < 0)
    throw new PairTextError(`The "${QUESTION_HEADING}" heading is missing; put it back above the question.`);
  // The form is rendered with LF, so a CR on its own heading line means the editor saved every line with CRLF.
  if (lines[questionAt].endsWith('\r')) lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const answerOffset = lines.slice(questionAt + 1).findIndex((line) => isHeading(line, 'Answer'));
  if (answerOffset < 0) {
    throw new PairTextError(
      `The "${ANSWER_HEADING}" heading is missing; put it back between the question and the answer.`,
    );
  }
  const answerAt = questionAt + 1 + answerOffset;
  const questionLines = dropBlank(lines.slice(questionAt + 1, answerAt), 'first');
  const question = dropBlank(questionLines, 'last').map(unescapeLine).join('\n');
  const answer = dropBlank(lines.slice(answerAt + 1), 'first')
    .map(unescapeLine)
    .join('\n');
  if (question.trim() === '') throw new PairTextError('The question is empty; a pair needs a question.');
  return { question, answer };
}

/** Removes the form's own separator: one empty line at that end, if there is one. */
function dropBlank(lines: string[], end: 'first' | 'last'): string[] {
  if (end === 'first') return lines[0] === '' ? lines.slice(1) : lines;
  return lines.length > 0 && lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

/** A file-name-safe, short version of a question for editor tab titles. */
export function titleSlug(question: string, max = 60): string {
  const cleaned = question
    // eslint-disable-next-line no-control-regex
    .replace(/[\\/:*?"<>|\u0000-\u001f#%]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const short = cleaned.length > max ? `${cleaned.slice(0, max - 1).trimEnd()}…` : cleaned;
  return short || 'pair';
}
