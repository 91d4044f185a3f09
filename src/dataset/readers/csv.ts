/**
 * CSV/TSV reader: RFC 4180 quoting (quoted commas, doubled quotes, newlines inside quotes), a UTF-8 BOM, CRLF, and a
 * header row mapped onto question/answer/qtype/source/id. Rows that cannot be read become problems; the rest imports.
 */
import type { ImportProblem, QaPair, SourceDocument } from '../model';
import type { FileReadResult } from './medquad';
import { mapHeader } from './fieldNames';

interface CsvRecord {
  fields: string[];
  line: number;
}

/** Picks the delimiter from the header line: tab for .tsv, otherwise whichever of , ; \t is most common there. */
function detectDelimiter(text: string, file: string): string {
  if (/\.tsv$/i.test(file)) return '\t';
  const firstLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 1 ? counts[0][0] : ',';
}

/** Splits into records; `unterminated` is set when the file ends inside a quoted field. */
export function parseCsv(
  text: string,
  delimiter: string,
): { records: CsvRecord[]; unterminated?: { line: number } } {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let any = false;
  const endRecord = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    any = false;
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (!any) recordLine = line;
    any = true;
    if (ch === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRecord();
    } else {
      field += ch;
    }
    i++;
  }
  if (quoted) return { records, unterminated: { line: quoteLine } };
  if (any) endRecord();
  return { records };
}

export function readCsv(text: string, file: string): FileReadResult {
  const name = file.replace(/^.*\//, '');
  const problems: ImportProblem[] = [];
  const pairs: QaPair[] = [];
  const delimiter = detectDelimiter(text, file);
  const { records, unterminated } = parseCsv(text, delimiter);
  if (unterminated) {
    problems.push({
      file,
      line: unterminated.line,
      kind: 'bad-row',
      message: 'a quoted field starting here is never closed; the rest of the file was not read',
    });
  }
  const [header, ...rows] = records;
  if (!header) {
    problems.push({
      file,
      line: 1,
      kind: 'missing-column',
      message: 'the file is empty: expected a header row',
    });
    return { pairs, problems, idPrefix: name };
  }
  const columns = mapHeader(header.fields);
  if (columns.question === undefined || columns.answer === undefined) {
    const missing = [
      columns.question === undefined ? 'question' : '',
      columns.answer === undefined ? 'answer' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    problems.push({
      file,
      line: header.line,
      kind: 'missing-column',
      message: `no ${missing} column in the header (${header.fields.join(', ')}); name them e.g. "question" and "answer"`,
    });
    return { pairs, problems, idPrefix: name };
  }
  const documents = new Map<string, SourceDocument>();
  const needed = Math.max(columns.question, columns.answer);
  rows.forEach((record, index) => {
    const row = index + 1;
    const get = (column: number | undefined): string | undefined =>
      column === undefined ? undefined : record.fields[column];
    if (record.fields.length <= needed) {
      problems.push({
        file,
        line: record.line,
        kind: 'missing-column',
        message: `row ${row} has ${record.fields.length} of ${header.fields.length} columns (no ${
          record.fields.length <= columns.question! ? 'question' : 'answer'
        }); skipped`,
      });
      return;
    }
    const question = get(columns.question)!.trim();
    if (!question) {
      problems.push({
        file,
        line: record.line,
        kind: 'bad-row',
        message: `row ${row} has an empty question; skipped`,
      });
      return;
    }
    const source = get(columns.source)?.trim() || name;
    let document = documents.get(source);
    if (!document) {
      document = { id: name, collection: name, source, file };
      documents.set(source, document);
    }
    const focus = get(columns.focus)?.trim();
    const pid = get(columns.id)?.trim() || String(row);
    pairs.push({
      id: `${name}/${pid}`,
      document: focus ? { ...document, focus } : document,
      pid,
      qtype: get(columns.qtype)?.trim() || 'unspecified',
      question,
      answer: get(columns.answer)!.replace(/\r\n?/g, '\n').trim(),
    });
    // Fields past the header's have no column name, so their text is not imported: say so.
    if (record.fields.slice(header.fields.length).some((field) => field.trim())) {
      problems.push({
        file,
        line: record.line,
        kind: 'bad-row',
        message: `row ${row} has ${record.fields.length} fields but the header has ${header.fields.length}; the text after field ${
          header.fields.length
        } was not imported (a ${delimiter === '\t' ? 'tab' : `"${delimiter}"`} in a field that is not quoted?)`,
      });
    }
  });
  return { pairs, problems, idPrefix: name };
}
