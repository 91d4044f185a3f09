/**
 * Reads one MedQuAD XML file into a document and its QA pairs.
 *
 * The 12 collections use three layouts: `<Document id source url>` with `<QAPair>` (most), `<DiseaseFile fid …>`
 * (one CDC file) and a lower-case `<doc docid corpus url>` / `<pair>` / `<question>` / `<answer>` form (four NINDS
 * files). Annotations vary: FocusAnnotations with Category, UMLS (CUIs, semantic types, group) and Synonyms, or a bare
 * `<UMLS>` with empty elements (CDC, NINDS). Element names are matched case-insensitively so all of them read alike.
 */
import type { ImportProblem, QaPair, SourceDocument } from '../model';
import { lineAndColumn, scanXml, XmlSyntaxError, type XmlHandler } from './xmlScanner';

export interface FileReadResult {
  pairs: QaPair[];
  problems: ImportProblem[];
  /** Every pair id of this file is `<idPrefix>/<pid>` (lets the importer prove ids unique cheaply). */
  idPrefix: string;
}

const rootNames = new Set(['document', 'doc', 'diseasefile']);
/** Elements whose text we keep (lower-cased names). */
const captured = new Set([
  'focus',
  'doctitle-focus',
  'category',
  'cui',
  'semantictype',
  'semanticgroup',
  'synonym',
  'question',
  'answer',
]);

/**
 * Trims the text and the XML indentation around each line, and keeps at most one blank line in a row: the answers
 * carry the source's pretty-printing (runs of 16+ spaces), which is noise for training and display.
 */
function tidy(raw: string): string {
  if (raw.indexOf('\n') === -1 && raw.indexOf('\r') === -1) return raw.trim();
  const text = raw.indexOf('\r') === -1 ? raw : raw.replace(/\r\n?/g, '\n');
  // One pass (no per-line arrays): each line break with the spaces around it becomes "\n", or "\n\n" when the
  // run holds a blank line.
  return text
    .replace(lineBreakRun, (run) => (run.indexOf('\n') !== run.lastIndexOf('\n') ? '\n\n' : '\n'))
    .trim();
}

const lineBreakRun = /[ \t]*\n[ \t\n]*/g;

interface OpenPair {
  pid: string;
  qid?: string;
  qtype: string;
  question: string;
  answer: string;
  /** Byte offset of its opening tag (for the line of a problem). */
  offset: number;
}

/** Line of a byte offset, counted on from the previous call (offsets only grow), so many problems stay linear. */
class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly text: Buffer) {}

  lineAt(offset: number): number {
    const text = this.text;
    for (let i = text.indexOf(10, this.offset); i !== -1 && i < offset; i = text.indexOf(10, i + 1))
      this.line++;
    this.offset = offset;
    return this.line;
  }
}

const isPair = (name: string) => name === 'qapair' || name === 'pair';

/**
 * The scanner's handler for one file: the root element's attributes make the document, each `<QAPair>` a pair,
 * and the text of the captured elements (focus, annotations, question, answer) fills them in.
 */
class MedQuadHandler implements XmlHandler {
  capturing = false;
  readonly pairs: QaPair[] = [];
  readonly problems: ImportProblem[] = [];
  readonly cuis: string[] = [];
  readonly semanticTypes: string[] = [];
  readonly synonyms: string[] = [];
  private depth = 0;
  private captureName: string | undefined;
  private captureDepth = 0;
  private buffer = '';
  private pair: OpenPair | undefined;
  private pairIndex = 0;
  private readonly lines: LineCounter;

  constructor(
    text: Buffer,
    readonly document: SourceDocument,
    private readonly collection: string,
    private readonly stem: string,
  ) {
    this.lines = new LineCounter(text);
  }

  open(rawName: string, attributes: Record<string, string>, offset: number): void {
    this.depth++;
    const name = rawName.toLowerCase();
    // A pair inside a pair, or inside a question or answer, would vanish: it replaces the open pair or is read
    // as text. Elsewhere, markup nested inside a captured element only gives its text.
    if (isPair(name) && (this.pair || this.captureName)) {
      const where = this.captureName ? `<${this.captureName}>` : `the pair ${this.pair?.pid}`;
      throw new XmlSyntaxError(`<${rawName}> inside ${where}, which is not closed`, offset);
    }
    if (this.captureName) return;
    if (this.depth === 1) return this.openRoot(rawName, attributes);
    if (isPair(name)) {
      this.pairIndex++;
      this.pair = {
        pid: attributes.pid || String(this.pairIndex),
        qtype: '',
        question: '',
        answer: '',
        offset,
      };
    } else if (name === 'question' && this.pair) {
      if (attributes.qid) this.pair.qid = attributes.qid;
      this.pair.qtype = attributes.qtype ?? '';
    }
    if (captured.has(name)) {
      this.captureName = name;
      this.captureDepth = this.depth;
      this.buffer = '';
      this.capturing = true;
    }
  }

  text(chunk: string): void {
    if (this.captureName) this.buffer += chunk;
  }

  close(rawName: string): void {
    if (this.captureName && this.depth === this.captureDepth) {
      this.finishCapture(this.captureName, this.buffer);
      this.captureName = undefined;
      this.capturing = false;
    } else if (!this.captureName && isPair(rawName.toLowerCase()) && this.pair) {
      this.closePair(this.pair);
      this.pair = undefined;
    }
    this.depth--;
  }

  private openRoot(rawName: string, attributes: Record<string, string>): void {
    if (!rootNames.has(rawName.toLowerCase())) {
      throw new XmlSyntaxError(`root element <${rawName}> is not a MedQuAD document`, 0);
    }
    const document = this.document;
    const declared = attributes.id ?? attributes.docid ?? attributes.fid;
    if (declared && declared !== this.stem) document.declaredId = declared;
    document.source = attributes.source ?? attributes.corpus ?? this.collection;
    if (attributes.url) document.url = attributes.url;
  }

  /** A finished pair is kept; one without a question is a problem. */
  private closePair(pair: OpenPair): void {
    if (!pair.question) {
      this.problems.push({
        file: this.document.file,
        line: this.lines.lineAt(pair.offset),
        kind: 'bad-row',
        message: `pair ${pair.pid} has no question; skipped`,
      });
      return;
    }
    this.pairs.push({
      id: `${this.collection}/${this.stem}/${pair.pid}`,
      document: this.document,
      pid: pair.pid,
      ...(pair.qid ? { qid: pair.qid } : {}),
      qtype: pair.qtype || 'unspecified',
      question: pair.question,
      answer: pair.answer,
    });
  }

  private finishCapture(name: string, value: string): void {
    const clean = tidy(value);
    const document = this.document;
    switch (name) {
      case 'focus':
      case 'doctitle-focus':
        if (clean) document.focus = clean;
        break;
      case 'category':
        if (clean) document.category = clean;
        break;
      case 'cui':
        if (clean) this.cuis.push(clean);
        break;
      case 'semantictype':
        if (clean) this.semanticTypes.push(clean);
        break;
      case 'semanticgroup':
        if (clean) document.semanticGroup = clean;
        break;
      case 'synonym':
        if (clean) this.synonyms.push(clean);
        break;
      case 'question':
        if (this.pair) this.pair.question = clean;
        break;
      case 'answer':
        if (this.pair) this.pair.answer = clean;
        break;
    }
  }
}

/**
 * @param collection folder name, e.g. "1_CancerGov_QA"
 * @param file path relative to the import root (used in ids' diagnostics and problems)
 */
export function readMedQuadXml(source: string | Buffer, collection: string, file: string): FileReadResult {
  const text = typeof source === 'string' ? Buffer.from(source) : source;
  const stem = file.replace(/^.*\//, '').replace(/\.xml$/i, '');
  const document: SourceDocument = { id: stem, collection, source: '', file };
  const handler = new MedQuadHandler(text, document, collection, stem);
  const { pairs, problems } = handler;
  try {
    scanXml(text, handler);
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    const at = lineAndColumn(text, error.offset);
    const kept = pairs.length > 0 ? ` (${pairs.length} complete pair(s) before it were imported)` : '';
    problems.push({
      file,
      line: at.line,
      column: at.column,
      kind: error.message.includes('is not a MedQuAD document') ? 'unsupported' : 'malformed-xml',
      message: error.message + kept,
    });
  }
  if (handler.cuis.length) document.cuis = handler.cuis;
  if (handler.semanticTypes.length) document.semanticTypes = handler.semanticTypes;
  if (handler.synonyms.length) document.synonyms = handler.synonyms;
  return { pairs, problems, idPrefix: `${collection}/${stem}` };
}
