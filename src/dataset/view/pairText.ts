/**
 * The text shown for one QA pair: a read-only Markdown view (question, answer, metadata) and an editable form whose
 * saved text is parsed back into question and answer. Pure functions (no vscode), so the format is unit-tested.
 */
import type { CuratedPair } from '../overlay';

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
  lines.push(
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
  );
  if (pair.edited) {
    lines.push('', '## Original (before your edits)', '');
    if (pair.question !== pair.originalQuestion) lines.push(`**Question:** ${pair.originalQuestion}`, '');
    if (pair.answer !== pair.originalAnswer) lines.push(`**Answer:** ${pair.originalAnswer}`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const EDIT_HINT =
  '<!-- Edit the question and the answer, then save (Ctrl+S / Cmd+S). The edit is stored in .medqa/overlay.json; ' +
  'the source file is never changed. Keep the two headings. -->';

/** The editable form: a hint comment, the question and the answer under their headings. */
export function renderEditable(pair: { question: string; answer: string }): string {
  return `${EDIT_HINT}\n${QUESTION_HEADING}\n\n${pair.question}\n\n${ANSWER_HEADING}\n\n${pair.answer}\n`;
}

export class PairTextError extends Error {}

/**
 * Parses the editable form back: the text between the first `# Question` line and the first `# Answer` line after
 * it, and everything after that. Throws PairTextError (with what to fix) when a heading is missing or the question is empty.
 */
export function parseEditable(text: string): { question: string; answer: string } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const questionAt = lines.findIndex((line) => line.trim() === QUESTION_HEADING);
  if (questionAt < 0)
    throw new PairTextError(`The "${QUESTION_HEADING}" heading is missing; put it back above the question.`);
  const answerOffset = lines.slice(questionAt + 1).findIndex((line) => line.trim() === ANSWER_HEADING);
  if (answerOffset < 0) {
    throw new PairTextError(
      `The "${ANSWER_HEADING}" heading is missing; put it back between the question and the answer.`,
    );
  }
  const answerAt = questionAt + 1 + answerOffset;
  const question = lines
    .slice(questionAt + 1, answerAt)
    .join('\n')
    .trim();
  const answer = lines
    .slice(answerAt + 1)
    .join('\n')
    .trim();
  if (question === '') throw new PairTextError('The question is empty; a pair needs a question.');
  return { question, answer };
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
