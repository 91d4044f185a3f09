/**
 * The language id of the answer texts shown in diff editors (grading and playground). package.json gives it an
 * `editor.wordWrap` default, so long sentences wrap in those editors and nowhere else; the documents get it from
 * their file name, which ends with `ANSWER_TEXT_EXTENSION` (the longer extension wins over `.txt`).
 */
export const ANSWER_TEXT_LANGUAGE = 'medqa-answer-text';
export const ANSWER_TEXT_EXTENSION = '.medqa-answer.txt';

/**
 * The ` - ` bullet markers of a paragraph (MedQuAD writes its lists inline: "include: - fever  - cough"): the
 * offsets of each dash. A lone dash between words is prose ("movement - the basal ganglia"), so a paragraph counts
 * as a list only when it starts with a marker or has two of them; a dash between two numbers is a range.
 */
function bulletOffsets(paragraph: string): number[] {
  const offsets: number[] = [];
  for (const match of paragraph.matchAll(/(^|\s)-\s+(?=\S)/g)) {
    const dash = (match.index ?? 0) + match[1].length;
    const range = /\d$/.test(paragraph.slice(0, dash).trimEnd()) && /^-\s+\d/.test(paragraph.slice(dash));
    if (!range) offsets.push(dash);
  }
  return offsets.length >= 2 || offsets[0] === 0 ? offsets : [];
}

function sentences(segmenter: Intl.Segmenter, text: string): string[] {
  return [...segmenter.segment(text)].map((s) => s.segment.trim()).filter(Boolean);
}

/**
 * Answer text laid out for VS Code's line diff: one sentence per line (ICU sentence boundaries, so "e.g." and
 * "Dr." do not end a sentence), each ` - ` bullet on a line of its own, blank lines between paragraphs kept. A diff
 * of whole paragraphs would mark the entire answer as changed.
 */
export function sentencePerLine(text: string, locale = 'en'): string {
  const segmenter = new Intl.Segmenter(locale, { granularity: 'sentence' });
  const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/);
  return (
    paragraphs
      .map((raw) => {
        const paragraph = raw.replace(/\s*\n\s*/g, ' ').trim();
        const cuts = bulletOffsets(paragraph);
        const pieces = [0, ...cuts, paragraph.length]
          .slice(0, -1)
          .map((start, i, starts) => paragraph.slice(start, starts[i + 1] ?? paragraph.length));
        // Three or more spaces are where MedQuAD lost a line break (the end of a list before the next sentence).
        return pieces
          .flatMap((piece) => piece.split(/\s{3,}/))
          .flatMap((piece) => sentences(segmenter, piece))
          .join('\n');
      })
      .filter(Boolean)
      .join('\n\n') + '\n'
  );
}
