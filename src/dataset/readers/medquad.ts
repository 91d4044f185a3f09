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

/**
 * @param collection folder name, e.g. "1_CancerGov_QA"
 * @param file path relative to the import root (used in ids' diagnostics and problems)
 */
export function readMedQuadXml(source: string | Buffer, collection: string, file: string): FileReadResult {
  const text = typeof source === 'string' ? Buffer.from(source) : source;
  const stem = file.replace(/^.*\//, '').replace(/\.xml$/i, '');
  const document: SourceDocument = { id: stem, collection, source: '', file };
  const pairs: QaPair[] = [];
  const problems: ImportProblem[] = [];
  const cuis: string[] = [];
  const semanticTypes: string[] = [];
  const synonyms: string[] = [];

  let depth = 0;
  let captureName: string | undefined;
  let captureDepth = 0;
  let buffer = '';
  let pair:
    | { pid: string; qid?: string; qtype: string; question: string; answer: string; offset: number }
    | undefined;
  let pairIndex = 0;
  // Line of a byte offset, counted on from the previous call (offsets only grow), so many problems stay linear.
  const lineCursor = { offset: 0, line: 1 };
  const lineAt = (offset: number): number => {
    for (let i = text.indexOf(10, lineCursor.offset); i !== -1 && i < offset; i = text.indexOf(10, i + 1)) {
      lineCursor.line++;
    }
    lineCursor.offset = offset;
    return lineCursor.line;
  };

  const finishCapture = (name: string, value: string): void => {
    const clean = tidy(value);
    switch (name) {
      case 'focus':
      case 'doctitle-focus':
        if (clean) document.focus = clean;
        break;
      case 'category':
        if (clean) document.category = clean;
        break;
      case 'cui':
        if (clean) cuis.push(clean);
        break;
      case 'semantictype':
        if (clean) semanticTypes.push(clean);
        break;
      case 'semanticgroup':
        if (clean) document.semanticGroup = clean;
        break;
      case 'synonym':
        if (clean) synonyms.push(clean);
        break;
      case 'question':
        if (pair) pair.question = clean;
        break;
      case 'answer':
        if (pair) pair.answer = clean;
        break;
    }
  };

  const handler: XmlHandler = {
    capturing: false,
    open(rawName, attributes, offset) {
      depth++;
      const name = rawName.toLowerCase();
      // A pair inside a pair, or inside a question or answer, would vanish: it replaces the open pair or is read
      // as text. Elsewhere, markup nested inside a captured element only gives its text.
      if ((name === 'qapair' || name === 'pair') && (pair || captureName)) {
        const where = captureName ? `<${captureName}>` : `the pair ${pair?.pid}`;
        throw new XmlSyntaxError(`<${rawName}> inside ${where}, which is not closed`, offset);
      }
      if (captureName) return;
      if (depth === 1) {
        if (!rootNames.has(name)) {
          throw new XmlSyntaxError(`root element <${rawName}> is not a MedQuAD document`, 0);
        }
        const declared = attributes.id ?? attributes.docid ?? attributes.fid;
        if (declared && declared !== stem) document.declaredId = declared;
        document.source = attributes.source ?? attributes.corpus ?? collection;
        if (attributes.url) document.url = attributes.url;
        return;
      }
      if (name === 'qapair' || name === 'pair') {
        pairIndex++;
        pair = { pid: attributes.pid || String(pairIndex), qtype: '', question: '', answer: '', offset };
      } else if (name === 'question' && pair) {
        if (attributes.qid) pair.qid = attributes.qid;
        pair.qtype = attributes.qtype ?? '';
      }
      if (captured.has(name)) {
        captureName = name;
        captureDepth = depth;
        buffer = '';
        handler.capturing = true;
      }
    },
    text(chunk) {
      if (captureName) buffer += chunk;
    },
    close(rawName) {
      if (captureName && depth === captureDepth) {
        finishCapture(captureName, buffer);
        captureName = undefined;
        handler.capturing = false;
      } else if (!captureName) {
        const name = rawName.toLowerCase();
        if ((name === 'qapair' || name === 'pair') && pair && !pair.question) {
          problems.push({
            file,
            line: lineAt(pair.offset),
            kind: 'bad-row',
            message: `pair ${pair.pid} has no question; skipped`,
          });
          pair = undefined;
        } else if ((name === 'qapair' || name === 'pair') && pair) {
          pairs.push({
            id: `${collection}/${stem}/${pair.pid}`,
            document,
            pid: pair.pid,
            ...(pair.qid ? { qid: pair.qid } : {}),
            qtype: pair.qtype || 'unspecified',
            question: pair.question,
            answer: pair.answer,
          });
          pair = undefined;
        }
      }
      depth--;
    },
  };
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
  if (cuis.length) document.cuis = cuis;
  if (semanticTypes.length) document.semanticTypes = semanticTypes;
  if (synonyms.length) document.synonyms = synonyms;
  return { pairs, problems, idPrefix: `${collection}/${stem}` };
}
