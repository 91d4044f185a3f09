/**
 * Text for exported tables, shared by every feature that exports one (evaluation, grading, run comparison): CSV
 * fields and lines, Markdown cell text, and the sort order of table cells. Pure: the webviews use it too.
 */

export type ExportFormat = 'csv' | 'markdown';

/** The file extension of each export format. */
export const EXPORT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = { csv: 'csv', markdown: 'md' };

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. Text that a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe; numbers stay numbers.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

/**
 * Text for a Markdown table cell: characters with Markdown meaning are backslash-escaped, `|` cannot end the cell,
 * and line breaks (which would end the row) become spaces.
 */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&#]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, ' ');
}

/** Sort comparator for table cells: numbers numerically, text by locale, missing values always last. */
export function compareCells(
  a: number | string | null | undefined,
  b: number | string | null | undefined,
  descending: boolean,
): number {
  const missingA = a === null || a === undefined || (typeof a === 'number' && !Number.isFinite(a));
  const missingB = b === null || b === undefined || (typeof b === 'number' && !Number.isFinite(b));
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  const order = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  return descending ? -order : order;
}
