/**
 * CSV/TSV reader: RFC 4180 quoting (quoted commas, doubled quotes, newlines inside quotes), a UTF-8 BOM, CRLF, and a
 * header row mapped onto question/answer/qtype/source/id. Rows that cannot be read become problems; the rest imports.
 */
import type { QaPair, SourceDocument } from '../model';
import type { FileReadResult } from './medquad';
import { mapHeader, nearMissField } from './fieldNames';
import { ProblemLog } from './problemLog';

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

/** A record longer than this is not kept (its text would not fit a training example anyway): it is reported. */
export const MAX_RECORD_CHARS = 16 << 20;

/**
 * Splits text into records, chunk by chunk, so a file of any size streams through (nothing holds the whole text).
 * The state carries over between chunks; a chunk that ends where one more character decides (a quote that may be
 * doubled, a CR that may start CRLF) keeps that character for the next chunk.
 */
export class CsvParser {
  private line = 1;
  private fields: string[] = [];
  private field = '';
  private recordLine = 1;
  private recordChars = 0;
  private quoted = false;
  private quoteLine = 0;
  private any = false;
  private held = '';
  private first = true;

  constructor(
    private readonly delimiter: string,
    private readonly onRecord: (record: CsvRecord) => void,
    private readonly onOverlong: (line: number) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    let text = this.held + chunk;
    this.held = '';
    if (this.first && text) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const last = text[text.length - 1];
    if (last === '"' || last === '\r') {
      this.held = last;
      text = text.slice(0, -1);
    }
    this.scan(text);
  }

  /** Ends the input; `unterminated` is set when it ends inside a quoted field. */
  end(): { unterminated?: { line: number } } {
    const rest = this.held;
    this.held = '';
    this.scan(rest);
    if (this.quoted) return { unterminated: { line: this.quoteLine } };
    if (this.any) this.endRecord();
    return {};
  }

  private append(text: string): void {
    this.recordChars += text.length;
    if (this.recordChars <= MAX_RECORD_CHARS) this.field += text;
  }

  private endRecord(): void {
    this.fields.push(this.field);
    if (this.recordChars > MAX_RECORD_CHARS) this.onOverlong(this.recordLine);
    else if (this.fields.length > 1 || this.fields[0] !== '')
      this.onRecord({ fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.field = '';
    this.any = false;
    this.recordChars = 0;
  }

  private scan(text: string): void {
    const { delimiter } = this;
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      if (this.quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            this.append('"');
            i += 2;
            continue;
          }
          this.quoted = false;
        } else {
          // Copy the run up to the next quote at once: long quoted answers are most of a QA file.
          const next = text.indexOf('"', i);
          const run = text.slice(i, next === -1 ? text.length : next);
          for (let at = run.indexOf('\n'); at !== -1; at = run.indexOf('\n', at + 1)) this.line++;
          this.append(run);
          i += run.length;
          continue;
        }
        i++;
        continue;
      }
      if (!this.any) this.recordLine = this.line;
      this.any = true;
      if (ch === '"' && this.field === '') {
        this.quoted = true;
        this.quoteLine = this.line;
      } else if (ch === delimiter) {
        this.fields.push(this.field);
        this.field = '';
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && text[i + 1] === '\n') i++;
        this.line++;
        this.endRecord();
      } else {
        this.append(ch);
      }
      i++;
    }
  }
}

/** Splits a whole text into records (see CsvParser). */
export function parseCsv(
  text: string,
  delimiter: string,
): { records: CsvRecord[]; unterminated?: { line: number } } {
  const records: CsvRecord[] = [];
  const parser = new CsvParser(delimiter, (record) => records.push(record));
  parser.push(text);
  return { records, ...parser.end() };
}

/** Reads a whole CSV/TSV text (see readCsvChunks). */
export function readCsv(text: string, file: string): FileReadResult {
  return readCsvChunks([text], file);
}

/**
 * Reads CSV/TSV text given in chunks (a big file streams through without one giant string). The delimiter is
 * detected from the first chunk's first line.
 */
export function readCsvChunks(chunks: Iterable<string>, file: string): FileReadResult {
  const name = file.replace(/^.*\//, '');
  const problems = new ProblemLog(file);
  const pairs: QaPair[] = [];
  let rows: CsvRows | undefined;
  let parser: CsvParser | undefined;
  let delimiter = ',';
  let header: CsvRecord | undefined;
  let refused = false;
  const onRecord = (record: CsvRecord) => {
    if (refused) return;
    if (!header) {
      header = record;
      const made = CsvRows.forHeader(record, file, name, delimiter, problems);
      if (made) rows = made;
      else refused = true;
      return;
    }
    rows?.add(record, pairs);
  };
  const onOverlong = (line: number) =>
    problems.push({
      file,
      line,
      kind: 'bad-row',
      message: `the record starting here is longer than ${MAX_RECORD_CHARS >> 20} M characters; skipped`,
    });
  // The delimiter is read from the header line, so text is held back until that line is complete.
  let start = '';
  const begin = (text: string): CsvParser => {
    const made = new CsvParser((delimiter = detectDelimiter(text, file)), onRecord, onOverlong);
    made.push(text);
    return made;
  };
  for (const chunk of chunks) {
    if (parser) parser.push(chunk);
    else if ((start += chunk).includes('\n')) parser = begin(start);
  }
  if (!parser && start) parser = begin(start);
  const { unterminated } = parser?.end() ?? {};
  if (unterminated) {
    problems.push({
      file,
      line: unterminated.line,
      kind: 'bad-row',
      message: 'a quoted field starting here is never closed; the rest of the file was not read',
    });
  }
  if (!header) {
    problems.push({
      file,
      line: 1,
      kind: 'missing-column',
      message: 'the file is empty: expected a header row',
    });
  }
  return { pairs, problems: problems.list(), idPrefix: name };
}

/** Turns data rows into pairs, once the header named the question and answer columns. */
class CsvRows {
  private readonly documents = new Map<string, SourceDocument>();
  private readonly needed: number;
  private row = 0;

  private constructor(
    private readonly header: CsvRecord,
    private readonly columns: ReturnType<typeof mapHeader> & { question: number; answer: number },
    private readonly file: string,
    private readonly name: string,
    private readonly delimiter: string,
    private readonly problems: ProblemLog,
  ) {
    this.needed = Math.max(columns.question, columns.answer);
  }

  static forHeader(
    header: CsvRecord,
    file: string,
    name: string,
    delimiter: string,
    problems: ProblemLog,
  ): CsvRows | undefined {
    if (header.fields.some((field) => field.includes('\0'))) {
      problems.push({
        file,
        line: header.line,
        kind: 'missing-column',
        message: 'the header row has NUL bytes (\\0): not a text CSV (a binary file, or a UTF-16 file?)',
      });
      return undefined;
    }
    const columns = mapHeader(header.fields);
    if (columns.question === undefined || columns.answer === undefined) {
      const missing = [
        columns.question === undefined ? 'question' : '',
        columns.answer === undefined ? 'answer' : '',
      ]
        .filter(Boolean)
        .join(' and ');
      const misspelt = header.fields.flatMap((field) => {
        const near = nearMissField(field);
        return near && columns[near.field] === undefined
          ? [`unknown column '${field}' (did you mean '${near.name}'?)`]
          : [];
      });
      problems.push({
        file,
        line: header.line,
        kind: 'missing-column',
        message: `no ${missing} column in the header (${header.fields.join(', ')}); ${
          misspelt.length ? misspelt.join('; ') : 'name them e.g. "question" and "answer"'
        }`,
      });
      return undefined;
    }
    const known = { ...columns, question: columns.question, answer: columns.answer };
    return new CsvRows(header, known, file, name, delimiter, problems);
  }

  add(record: CsvRecord, pairs: QaPair[]): void {
    const { columns, file, name, header, problems } = this;
    const row = ++this.row;
    const get = (column: number | undefined): string | undefined =>
      column === undefined ? undefined : record.fields[column];
    // NUL is not text: a binary file, or UTF-16 read as UTF-8. Imported, it would end up in training data.
    const withNul = record.fields.findIndex((field) => field.includes('\0'));
    if (withNul !== -1) {
      problems.push({
        file,
        line: record.line,
        kind: 'bad-row',
        message: `row ${row} has NUL bytes (\\0) in field ${withNul + 1}${
          header.fields[withNul] ? ` ("${header.fields[withNul]}")` : ''
        }: not text (a binary file, or a UTF-16 file?); skipped`,
      });
      return;
    }
    if (record.fields.length <= this.needed) {
      problems.push({
        file,
        line: record.line,
        kind: 'missing-column',
        message: `row ${row} has ${record.fields.length} of ${header.fields.length} columns (no ${
          record.fields.length <= columns.question ? 'question' : 'answer'
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
    let document = this.documents.get(source);
    if (!document) {
      document = { id: name, collection: name, source, file };
      this.documents.set(source, document);
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
        } was not imported (a ${this.delimiter === '\t' ? 'tab' : `"${this.delimiter}"`} in a field that is not quoted?)`,
      });
    }
  }
}
