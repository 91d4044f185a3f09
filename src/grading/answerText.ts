/**
 * Answer text laid out for VS Code's line diff: one sentence per line (ICU sentence boundaries, so "e.g." and
 * "Dr." do not end a sentence), blank lines between paragraphs kept. A diff of whole paragraphs would mark the
 * entire answer as changed.
 */
export function sentencePerLine(text: string, locale = 'en'): string {
  const segmenter = new Intl.Segmenter(locale, { granularity: 'sentence' });
  const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/);
  return (
    paragraphs
      .map((paragraph) =>
        [...segmenter.segment(paragraph.replace(/\s*\n\s*/g, ' '))]
          .map((s) => s.segment.trim())
          .filter(Boolean)
          .join('\n'),
      )
      .filter(Boolean)
      .join('\n\n') + '\n'
  );
}
