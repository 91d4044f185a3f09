/**
 * Generated inputs for fuzzing the dataset importers: small valid MedQuAD XML, CSV/TSV and JSONL documents (whose
 * pairs are known), then damaged by 0-3 mutations (truncation, inserted/deleted/duplicated bytes and lines, lone
 * surrogates, BOM, CRLF, NUL, huge fields, entities, unclosed tags, other encodings…).
 *
 * Each input says what a correct reader must do with it, as far as the mutations allow: `expected` (the exact pairs,
 * no problems) while every mutation kept the meaning, `broken` (at least one problem) when one certainly broke an
 * XML document. Otherwise only the invariants that hold for any input apply (see importerChecks.ts).
 */
import fc from 'fast-check';

export type Format = 'xml' | 'csv' | 'jsonl';

export interface ExpectedPair {
  pid: string;
  qid?: string;
  qtype: string;
  question: string;
  answer: string;
}

export interface FuzzInput {
  format: Format;
  /** File name the reader is given (its extension picks the reader and, for CSV, a tab delimiter for .tsv). */
  fileName: string;
  /** A string keeps lone surrogates (string readers see them); a Buffer may hold any bytes. */
  data: string | Buffer;
  /** The exact pairs a correct reader returns, with no problems; undefined once a mutation changed the meaning. */
  expected?: ExpectedPair[];
  /** Why the XML document is certainly not well-formed (then at least one problem is due). */
  broken?: string;
  /** What was done to the valid document, for failure reports. */
  steps: string[];
}

export function bytesOf(input: FuzzInput): Buffer {
  return typeof input.data === 'string' ? Buffer.from(input.data, 'utf8') : input.data;
}

export function textOf(input: FuzzInput): string {
  return typeof input.data === 'string' ? input.data : input.data.toString('utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------------------------

// Words split on "|": medical terms, scripts, emoji (with ZWJ), combining marks, invisible characters, and text
// that means something to one of the formats (quotes, delimiters, markup, entities, JSON literals).
const WORDS = [
  'What|is|are|the|symptoms|of|Adult|Acute|Lymphoblastic|Leukemia|?|treatment|for|Schimke|immuno-osseous',
  'dysplasia|café|naïve|β-blockers|5 mg/kg|x²|日本語|Ελληνικά|עברית|العربية|😀|👩‍⚕️|e\u0301|\u00a0|\u200b|\u2028',
  '\ufeff|a&b|<b>|</Answer>|"quoted"|it\'s|semi;colon|comma,word|tab\there|back\\slash|#|%|{|}|[1]|null|true',
  '1e999|NaN|]]>|&amp;|&#x1F600;|&bogus;|<!--|-->|\u0001|\u007f',
]
  .join('|')
  .split('|');

/** Characters that trip text handling: combining marks, ZWJ emoji, right-to-left, astral, invisible, controls. */
const CHARACTERS = [
  ...'aZ09 .,;:!?-_\'"()[]{}/\\|@#$%^*+=~`<>&éßøłжλעبहก中한ア𝔘𓀀',
  ...['\u0301', '\u0308', '\u200d', '\u200e', '\u202e', '\u00a0', '\u2003', '\u3000', '\u00ad', '\u0000'],
  ...['\u0007', '\u001b', '\u007f', '\u0085', '\ufffd', '\ufffe', '\uffff', '\ufeff', '😀', '👍🏽', '👩‍⚕️', '🇫🇷'],
];

const word = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...CHARACTERS), minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 6 }) },
);

/** One line: no CR/LF inside, no spaces or tabs at its ends (XML readers trim those around line breaks). */
const line = fc.array(word, { minLength: 1, maxLength: 12 }).map((words) =>
  words
    .join(' ')
    .replace(/[\r\n]/g, ' ')
    .replace(/^[ \t]+|[ \t]+$/g, ''),
);

/** A question: one line with some visible text (readers skip empty questions, with a problem). */
const questionText = line.map((text) => (text.trim() ? text : `Q ${text}`.trim()));

/** Rarely: a huge field, to cross buffer sizes and make slow paths show. */
const hugeText = fc
  .tuple(
    fc.constantFrom('lorem ipsum dolor ', 'αβγ δεζ ', '😀 ', 'a,b;"c" '),
    fc.integer({ min: 16, max: 200 }),
  )
  .map(([unit, kib]) => unit.repeat(Math.ceil((kib * 1024) / unit.length)).trim());

/** An answer: 0-4 lines separated by one or two line breaks, rarely huge. */
const answerText = fc.oneof(
  {
    weight: 40,
    arbitrary: fc.array(fc.tuple(line, fc.boolean()), { maxLength: 4 }).map((lines) =>
      lines
        .filter(([text]) => text.replace(/[ \t]/g, '') !== '')
        .map(([text, blank], i) => (i === 0 ? text : (blank ? '\n\n' : '\n') + text))
        .join('')
        .trim(),
    ),
  },
  { weight: 1, arbitrary: hugeText },
);

/** Single-line metadata (qtype, ids, focus, source); may be empty. */
const shortText = fc.oneof(
  fc.constantFrom(
    '',
    'information',
    'symptoms',
    'treatment',
    'exams and tests',
    'genetic changes',
    'outlook',
  ),
  line.map((text) => [...text].slice(0, 12).join('').trim()),
);

// ---------------------------------------------------------------------------------------------------------------
// Valid documents
// ---------------------------------------------------------------------------------------------------------------

interface PairSpec {
  question: string;
  answer: string;
  qtype: string;
  id: string;
  focus: string;
  source: string;
}

const pairSpec: fc.Arbitrary<PairSpec> = fc.record({
  question: questionText,
  answer: answerText,
  qtype: shortText,
  id: fc.oneof(
    fc.constant(''),
    fc.nat(9999).map((n) => `r${n}`),
    fc.constantFrom('a.b', 'x-1', '_', '0', ' 7 ', 'Ä/1'),
  ),
  focus: shortText,
  source: shortText,
});

type TextStyle = 'escaped' | 'charrefs' | 'cdata';

function escapeXmlText(text: string, style: TextStyle): string {
  if (style === 'cdata' && !text.includes(']]>')) return `<![CDATA[${text}]]>`;
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (style !== 'charrefs') return escaped;
  return escaped.replace(/[^\0-\x7f]/gu, (ch) => {
    const code = ch.codePointAt(0)!;
    return code % 2 ? `&#x${code.toString(16)};` : `&#${code};`;
  });
}

function escapeXmlAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const xmlDocument: fc.Arbitrary<FuzzInput> = fc
  .record({
    pairs: fc.array(
      fc.record({ spec: pairSpec, qid: fc.boolean(), styles: fc.tuple(textStyle(), textStyle()) }),
      { maxLength: 5 },
    ),
    lowerCase: fc.boolean(),
    declaration: fc.boolean(),
    comment: fc.boolean(),
    doctype: fc.boolean(),
    indent: fc.constantFrom('', '  ', '\t'),
    trailingNewline: fc.boolean(),
    focus: shortText,
    focusStyle: textStyle(),
    docId: fc
      .tuple(fc.nat(9_999_999), fc.nat(12))
      .map(([n, part]) => String(n).padStart(7, '0') + (part < 10 ? '' : `_${part - 9}`)),
    collection: fc.constantFrom('GARD', 'CancerGov', 'NIDDK', 'MPlus "Drugs" & Herbs'),
  })
  .map((doc) => {
    const [root, pairTag, question, answer, focus] = doc.lowerCase
      ? ['doc', 'pair', 'question', 'answer', 'focus']
      : ['Document', 'QAPair', 'Question', 'Answer', 'Focus'];
    const idAttribute = doc.lowerCase ? 'docid' : 'id';
    const sourceAttribute = doc.lowerCase ? 'corpus' : 'source';
    const lines: string[] = [];
    if (doc.declaration) lines.push('<?xml version="1.0" encoding="UTF-8"?>');
    if (doc.doctype) lines.push(`<!DOCTYPE ${root}>`);
    lines.push(
      `<${root} ${idAttribute}="${doc.docId}" ${sourceAttribute}="${escapeXmlAttribute(doc.collection)}" url="https://example.org/a?b=1&amp;c=2">`,
    );
    if (doc.comment) lines.push(`${doc.indent}<!-- ${root} <${pairTag}> & comment -->`);
    lines.push(`${doc.indent}<${focus}>${escapeXmlText(doc.focus, doc.focusStyle)}</${focus}>`);
    lines.push(`${doc.indent}<${pairTag}s>`);
    const expected: ExpectedPair[] = [];
    doc.pairs.forEach(({ spec, qid, styles }, index) => {
      const pid = String(index + 1);
      const qidValue = qid ? `${doc.docId}-${pid}` : undefined;
      const qidText = qidValue ? ` qid="${qidValue}"` : '';
      const i2 = doc.indent.repeat(2);
      lines.push(`${i2}<${pairTag} pid="${pid}">`);
      lines.push(
        `${i2}${doc.indent}<${question}${qidText} qtype="${escapeXmlAttribute(spec.qtype)}">${escapeXmlText(spec.question, styles[0])}</${question}>`,
      );
      lines.push(`${i2}${doc.indent}<${answer}>${escapeXmlText(spec.answer, styles[1])}</${answer}>`);
      lines.push(`${i2}</${pairTag}>`);
      expected.push({
        pid,
        ...(qidValue ? { qid: qidValue } : {}),
        qtype: spec.qtype || 'unspecified',
        question: spec.question.trim(),
        answer: spec.answer.trim(),
      });
    });
    lines.push(`${doc.indent}</${pairTag}s>`, `</${root}>`);
    const text = lines.join('\n') + (doc.trailingNewline ? '\n' : '');
    return {
      format: 'xml' as const,
      fileName: `${doc.docId}.xml`,
      data: text,
      expected,
      steps: [`valid XML (${doc.pairs.length} pairs${doc.lowerCase ? ', <doc>/<pair> layout' : ''})`],
    };
  });

function textStyle(): fc.Arbitrary<TextStyle> {
  return fc.constantFrom<TextStyle>('escaped', 'escaped', 'charrefs', 'cdata');
}

type CsvColumn = 'question' | 'answer' | 'qtype' | 'id' | 'source' | 'focus' | 'notes';
const HEADER_NAMES: Record<CsvColumn, string[]> = {
  question: ['question', 'Question', 'prompt', 'Question Text'],
  answer: ['answer', 'Answer', 'response', 'completion'],
  qtype: ['qtype', 'Question Type', 'question_type', 'category'],
  id: ['id', 'pid', 'ID'],
  source: ['source', 'Collection'],
  focus: ['focus', 'topic'],
  notes: ['notes', 'comment'],
};

const csvDocument: fc.Arbitrary<FuzzInput> = fc
  .record({
    optional: fc.shuffledSubarray<CsvColumn>(['qtype', 'id', 'source', 'focus', 'notes']),
    order: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    names: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
    rows: fc.array(fc.tuple(pairSpec, shortText, fc.array(fc.boolean(), { minLength: 7, maxLength: 7 })), {
      maxLength: 6,
    }),
    delimiter: fc.constantFrom(',', ',', ';', '\t'),
    blankLines: fc.array(fc.nat(6), { maxLength: 2 }),
    trailingNewline: fc.boolean(),
  })
  .map((doc) => {
    const columns: CsvColumn[] = ['question', 'answer'];
    doc.optional.forEach((column, i) => columns.splice(doc.order[i] % (columns.length + 1), 0, column));
    const header = columns.map(
      (column, i) => HEADER_NAMES[column][doc.names[i] % HEADER_NAMES[column].length],
    );
    const d = doc.delimiter;
    const field = (value: string, quote: boolean): string =>
      quote || value.includes(d) || /["\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
    const records = [header.map((name) => field(name, false)).join(d)];
    const expected: ExpectedPair[] = [];
    doc.rows.forEach(([rawSpec, rawNotes, quotes], index) => {
      // NUL is not text in a CSV (the reader reports and skips its row): a valid document shows it as ␀.
      const spec = Object.fromEntries(
        Object.entries(rawSpec).map(([key, value]) => [key, value.replace(/\0/g, '\u2400')]),
      ) as typeof rawSpec;
      const notes = rawNotes.replace(/\0/g, '\u2400');
      const values: Record<CsvColumn, string> = { ...spec, notes };
      records.push(columns.map((column, i) => field(values[column], quotes[i])).join(d));
      expected.push({
        pid: (columns.includes('id') && spec.id.trim()) || String(index + 1),
        qtype: (columns.includes('qtype') && spec.qtype.trim()) || 'unspecified',
        question: spec.question.trim(),
        answer: spec.answer.trim(),
      });
    });
    for (const at of doc.blankLines) records.splice(1 + (at % records.length), 0, '');
    const text = records.join('\n') + (doc.trailingNewline ? '\n' : '');
    return {
      format: 'csv' as const,
      fileName: d === '\t' ? 'fuzz.tsv' : 'fuzz.csv',
      data: text,
      expected,
      steps: [
        `valid CSV (${doc.rows.length} rows, delimiter ${JSON.stringify(d)}, columns ${header.join('|')})`,
      ],
    };
  });

const QUESTION_KEYS = ['question', 'Question', 'prompt', 'instruction', 'q'];
const ANSWER_KEYS = ['answer', 'Answer', 'response', 'output', 'completion'];

const jsonlDocument: fc.Arbitrary<FuzzInput> = fc
  .record({
    records: fc.array(
      fc.record({
        spec: pairSpec,
        chat: fc.constantFrom('plain', 'plain', 'plain', 'messages', 'parts'),
        keys: fc.tuple(fc.nat(), fc.nat()),
        withQtype: fc.boolean(),
        withId: fc.boolean(),
        withMeta: fc.boolean(),
        blankBefore: fc.constantFrom('', '', '', '\n', '  \n', '\t\n', '\u00a0\n'),
      }),
      { maxLength: 6 },
    ),
    trailingNewline: fc.boolean(),
  })
  .map((doc) => {
    let text = '';
    let lineNo = 1;
    const expected: ExpectedPair[] = [];
    for (const record of doc.records) {
      text += record.blankBefore;
      lineNo += record.blankBefore ? 1 : 0;
      const { spec } = record;
      const object: Record<string, unknown> = {};
      if (record.chat === 'plain') {
        object[QUESTION_KEYS[record.keys[0] % QUESTION_KEYS.length]] = spec.question;
        object[ANSWER_KEYS[record.keys[1] % ANSWER_KEYS.length]] = spec.answer;
      } else {
        const content = (value: string): unknown =>
          record.chat === 'parts' ? [{ type: 'text', text: value }] : value;
        object.messages = [
          { role: 'system', content: 'You are a careful medical assistant.' },
          { role: 'user', content: content(spec.question) },
          { role: 'assistant', content: content(spec.answer) },
        ];
      }
      if (record.withQtype) object.qtype = spec.qtype;
      if (record.withId) object.id = spec.id;
      if (record.withMeta)
        Object.assign(object, { source: spec.source, focus: spec.focus, extra: [1, { a: null }] });
      text += JSON.stringify(object) + '\n';
      expected.push({
        pid: (record.withId && spec.id.trim()) || String(lineNo),
        qtype: (record.withQtype && spec.qtype.trim()) || 'unspecified',
        question: spec.question.trim(),
        answer: spec.answer.trim(),
      });
      lineNo++;
    }
    if (!doc.trailingNewline) text = text.replace(/\n$/, '');
    return {
      format: 'jsonl' as const,
      fileName: 'fuzz.jsonl',
      data: text,
      // A file without records must be reported (a 0-byte JSONL is a problem, as for CSV): no expected pairs then.
      expected: doc.records.length ? expected : undefined,
      steps: [`valid JSONL (${doc.records.length} records)`],
    };
  });

// ---------------------------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------------------------

/** Text that means something to one of the formats, or to Unicode (split on spaces; some more after). */
const NASTY = [
  ...'\uD800 \uDFFF \uDBFF\uDBFF \u0000 " "" , ; < > & &bogus; &#x1F600; &#0; &#xD800;'.split(' '),
  ...'&#x110000; &amp ]]> <!-- <![CDATA[ <? </ /> { } [ ] : \\ \\u \\ud800 \\udfff'.split(' '),
  ...'\ufeff \u2028 \u0085 \u00a0 😀 null "question": <QAPair> </QAPairs>'.split(' '),
  ...['\r', '\n', '\r\n', '\t', '{"question": 1}', 'question,answer\n', 'A'.repeat(70_000)],
];

/** How often each mutation is drawn: for every format, then per format. */
const COMMON_MUTATIONS = {
  ...{ bom: 3, crlf: 3, truncate: 6, deleteBytes: 4, insertBytes: 4, replaceBytes: 3, insertText: 6 },
  ...{ duplicateLine: 3, deleteLine: 3, swapLines: 2, latin1: 1, utf16: 1, nul: 1, loneSurrogate: 2 },
  ...{ hugeInsert: 1 },
};
const FORMAT_MUTATIONS = {
  xml: {
    ...{ removeCloseTag: 3, renameCloseTag: 2, badEntity: 2, bareAmpersand: 2, bareLessThan: 2 },
    ...{ unclosedStartTag: 2, nestPair: 2, dropQuestion: 2, emptyQuestion: 2 },
  },
  jsonl: { retype: 5, dropKey: 3, deepNesting: 1, escapedSurrogate: 2 },
  csv: { insertDelimiter: 4, insertQuote: 3, renameHeader: 2 },
};

type MutationName =
  | keyof typeof COMMON_MUTATIONS
  | keyof typeof FORMAT_MUTATIONS.xml
  | keyof typeof FORMAT_MUTATIONS.jsonl
  | keyof typeof FORMAT_MUTATIONS.csv;

interface Mutation {
  name: MutationName;
  a: number;
  b: number;
  text: string;
  bytes: Uint8Array;
}

function mutation(format: Format): fc.Arbitrary<Mutation> {
  return fc.record({
    name: fc.oneof(
      ...Object.entries({ ...COMMON_MUTATIONS, ...FORMAT_MUTATIONS[format] }).map(([name, weight]) => ({
        weight,
        arbitrary: fc.constant(name as MutationName),
      })),
    ),
    a: fc.nat(),
    b: fc.nat(),
    text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 4 })),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  });
}

/** The meaning is unknown from here on: only the general invariants apply. */
function unknown(input: FuzzInput, data: string | Buffer, step: string): FuzzInput {
  return { format: input.format, fileName: input.fileName, data, steps: [...input.steps, step] };
}

/** Certainly not well-formed (only when the document was well-formed before: two wrongs can make a right). */
function broke(input: FuzzInput, data: string | Buffer, step: string): FuzzInput {
  const known = input.expected !== undefined || input.broken !== undefined;
  return { ...unknown(input, data, step), ...(known ? { broken: step } : {}) };
}

function splitLines(text: string): string[] {
  return text.split('\n');
}

/** A JSONL line's object, or undefined. */
function parseObject(source: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(source);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `text` with comments, CDATA sections, processing instructions and DOCTYPEs blanked out (same length), so markup
 * found in it is real markup. One left-to-right pass, like the scanner: what opens first wins.
 */
export function markupOnly(text: string): string {
  return text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>/g, (hidden) =>
    ' '.repeat(hidden.length),
  );
}

/** Matches of `pattern` in the markup of `text` (not inside comments or CDATA); blanking keeps every index. */
function markupMatches(text: string, pattern: RegExp): RegExpExecArray[] {
  return [...markupOnly(text).matchAll(pattern)];
}

/** Index just after the `>` of the n-th start tag named one of `names` (case-insensitive), or -1. */
function afterStartTag(text: string, names: string[], n: number): number {
  const hits = markupMatches(text, new RegExp(`<(${names.join('|')})(?=[\\s>/])[^>]*>`, 'gi'));
  if (!hits.length) return -1;
  const hit = hits[n % hits.length];
  return hit.index + hit[0].length;
}

const QA_TAGS = ['question', 'answer', 'focus'];

function applyMutation(input: FuzzInput, m: Mutation): FuzzInput {
  const text = textOf(input);
  const bytes = bytesOf(input);
  const at = (length: number): number => (length === 0 ? 0 : m.a % (length + 1));
  switch (m.name) {
    case 'bom': {
      const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
      // A BOM is harmless once; a second one is text before the first record (or the XML root).
      return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
        ? unknown(input, withBom, 'second BOM')
        : {
            ...input,
            data: typeof input.data === 'string' ? '\ufeff' + input.data : withBom,
            steps: [...input.steps, 'BOM'],
          };
    }
    case 'crlf': {
      const converted =
        typeof input.data === 'string'
          ? input.data.replace(/\r?\n/g, '\r\n')
          : Buffer.from(input.data.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
      return { ...input, data: converted, steps: [...input.steps, 'CRLF line ends'] };
    }
    case 'truncate': {
      const cut = at(bytes.length);
      const data = bytes.subarray(0, cut);
      const step = `truncated at byte ${cut} of ${bytes.length}`;
      if (input.format !== 'xml' || input.expected === undefined) return unknown(input, data, step);
      const rootEnd = Math.max(bytes.lastIndexOf('</Document>') + 11, bytes.lastIndexOf('</doc>') + 6);
      if (cut >= rootEnd) return { ...input, data, steps: [...input.steps, `${step} (after the root)`] };
      return broke(input, data, step);
    }
    case 'deleteBytes': {
      const start = at(bytes.length);
      const end = Math.min(bytes.length, start + 1 + (m.b % 16));
      return unknown(
        input,
        Buffer.concat([bytes.subarray(0, start), bytes.subarray(end)]),
        `deleted bytes ${start}-${end}`,
      );
    }
    case 'insertBytes': {
      const i = at(bytes.length);
      return unknown(
        input,
        Buffer.concat([bytes.subarray(0, i), Buffer.from(m.bytes), bytes.subarray(i)]),
        `inserted bytes ${Buffer.from(m.bytes).toString('hex')} at ${i}`,
      );
    }
    case 'replaceBytes': {
      const copy = Buffer.from(bytes);
      const i = at(Math.max(0, copy.length - 1));
      Buffer.from(m.bytes).copy(copy, i);
      return unknown(input, copy, `overwrote bytes at ${i} with ${Buffer.from(m.bytes).toString('hex')}`);
    }
    case 'insertText':
    case 'hugeInsert':
    case 'loneSurrogate':
    case 'nul': {
      const payload =
        m.name === 'hugeInsert'
          ? m.text.repeat(Math.ceil(200_000 / Math.max(1, m.text.length)))
          : m.name === 'loneSurrogate'
            ? ['\uD800', '\uDC00', '\uDBFF'][m.b % 3]
            : m.name === 'nul'
              ? '\u0000'
              : m.text;
      const i = at(text.length);
      return unknown(
        input,
        text.slice(0, i) + payload + text.slice(i),
        `inserted ${JSON.stringify(payload.slice(0, 20))}${payload.length > 20 ? `… (${payload.length} chars)` : ''} at ${i}`,
      );
    }
    case 'duplicateLine':
    case 'deleteLine':
    case 'swapLines': {
      const lines = splitLines(text);
      const i = m.a % lines.length;
      const j = m.b % lines.length;
      if (m.name === 'duplicateLine') lines.splice(i, 0, lines[i]);
      else if (m.name === 'deleteLine') lines.splice(i, 1);
      else [lines[i], lines[j]] = [lines[j], lines[i]];
      return unknown(
        input,
        lines.join('\n'),
        `${m.name} ${i + 1}${m.name === 'swapLines' ? `<->${j + 1}` : ''}`,
      );
    }
    case 'latin1':
      return unknown(input, Buffer.from(text, 'latin1'), 'saved as Latin-1');
    case 'utf16':
      return unknown(
        input,
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
        'saved as UTF-16LE',
      );
    // XML --------------------------------------------------------------------------------------------------
    case 'removeCloseTag':
    case 'renameCloseTag': {
      const hits = markupMatches(text, /<\/[A-Za-z]+>/g);
      if (!hits.length) return input;
      const hit = hits[m.a % hits.length];
      const replacement = m.name === 'removeCloseTag' ? '' : hit[0].replace('>', 'x>');
      return broke(
        input,
        text.slice(0, hit.index) + replacement + text.slice(hit.index + hit[0].length),
        `${m.name === 'removeCloseTag' ? 'removed' : 'renamed'} ${hit[0]}`,
      );
    }
    case 'badEntity':
    case 'bareAmpersand':
    case 'bareLessThan':
    case 'unclosedStartTag': {
      const i = afterStartTag(text, QA_TAGS, m.a);
      if (i === -1) return input;
      if (m.name === 'unclosedStartTag')
        return broke(input, text.slice(0, i - 1) + text.slice(i), `removed ">" at ${i - 1}`);
      const payload = { badEntity: '&bogus;', bareAmpersand: '& ', bareLessThan: '< ' }[m.name];
      return broke(
        input,
        text.slice(0, i) + payload + text.slice(i),
        `inserted ${JSON.stringify(payload)} at ${i}`,
      );
    }
    case 'nestPair': {
      const i = afterStartTag(text, ['qapair', 'pair'], m.a);
      if (i === -1) return input;
      const nested = '<QAPair pid="n"><Question qtype="x">Nested?</Question><Answer>Yes.</Answer></QAPair>';
      return unknown(input, text.slice(0, i) + nested + text.slice(i), `nested a QAPair at ${i}`);
    }
    case 'dropQuestion':
    case 'emptyQuestion': {
      const hits = markupMatches(text, /(<question[^>]*>)[\s\S]*?(<\/question>)/gi);
      if (!hits.length) return input;
      const hit = hits[m.a % hits.length];
      const replacement =
        m.name === 'dropQuestion' ? '' : `${hit[1]}${[' ', '', '<![CDATA[ ]]>', '\n\t'][m.b % 4]}${hit[2]}`;
      return unknown(
        input,
        text.slice(0, hit.index) + replacement + text.slice(hit.index + hit[0].length),
        m.name === 'dropQuestion' ? 'removed a <Question>' : 'emptied a <Question>',
      );
    }
    // JSONL ------------------------------------------------------------------------------------------------
    case 'retype':
    case 'dropKey': {
      const lines = splitLines(text);
      const i = m.a % lines.length;
      const object = parseObject(lines[i]);
      if (!object) return input;
      const keys = Object.keys(object);
      if (!keys.length) return input;
      const key = keys[m.b % keys.length];
      const values: unknown[] = [
        42,
        -0.5,
        1e308,
        null,
        true,
        false,
        [],
        {},
        [{ text: 'part' }, 'x'],
        { text: 'x' },
        ['a', 'b'],
        '',
      ];
      if (m.name === 'dropKey') delete object[key];
      else object[key] = values[(m.a >>> 4) % values.length];
      lines[i] = JSON.stringify(object);
      return unknown(
        input,
        lines.join('\n'),
        `${m.name === 'dropKey' ? 'dropped' : 'retyped'} "${key}" on line ${i + 1}`,
      );
    }
    case 'deepNesting': {
      const lines = splitLines(text);
      const i = m.a % lines.length;
      const depth = 1000 + (m.b % 100_000);
      lines[i] =
        m.b % 2
          ? '['.repeat(depth) + ']'.repeat(depth)
          : '{"question":'.repeat(depth) + '1' + '}'.repeat(depth);
      return unknown(input, lines.join('\n'), `line ${i + 1} nested ${depth} deep`);
    }
    case 'escapedSurrogate': {
      const hits = [...text.matchAll(/":"/g)];
      if (!hits.length) return input;
      const hit = hits[m.a % hits.length];
      const i = hit.index + 3;
      return unknown(input, text.slice(0, i) + '\\ud800' + text.slice(i), `escaped lone surrogate at ${i}`);
    }
    // CSV --------------------------------------------------------------------------------------------------
    case 'insertDelimiter':
    case 'insertQuote': {
      const i = at(text.length);
      const payload =
        m.name === 'insertQuote' ? '"' : input.fileName.endsWith('.tsv') ? '\t' : [',', ';'][m.b % 2];
      return unknown(
        input,
        text.slice(0, i) + payload + text.slice(i),
        `inserted ${JSON.stringify(payload)} at ${i}`,
      );
    }
    case 'renameHeader': {
      const end = text.indexOf('\n');
      const header = end === -1 ? text : text.slice(0, end);
      const renamed = header.replace(/question|answer|prompt|response|completion/i, 'x');
      return unknown(input, renamed + (end === -1 ? '' : text.slice(end)), 'renamed a header column');
    }
  }
}

function mutated(document: fc.Arbitrary<FuzzInput>, format: Format): fc.Arbitrary<FuzzInput> {
  return fc
    .tuple(document, fc.array(mutation(format), { maxLength: 3 }))
    .map(([input, mutations]) => mutations.reduce(applyMutation, input));
}

export const fuzzInputs: Record<Format, fc.Arbitrary<FuzzInput>> = {
  xml: mutated(xmlDocument, 'xml'),
  csv: mutated(csvDocument, 'csv'),
  jsonl: mutated(jsonlDocument, 'jsonl'),
};

/** For importDataset: any of the three formats. */
export const anyFuzzInput: fc.Arbitrary<FuzzInput> = fc.oneof(
  fuzzInputs.xml,
  fuzzInputs.csv,
  fuzzInputs.jsonl,
);
