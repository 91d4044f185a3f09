/**
 * A small, strict-enough XML scanner for MedQuAD-sized documents, working on the file's bytes.
 *
 * Why not a DOM parser: importing MedQuAD means 11k files / 60 MB, and building a DOM (or even decoding whole files
 * into strings) costs more than the data we keep. This scanner finds markup with Buffer.indexOf (native), decodes only
 * the text the handler asks for, and still rejects what makes a file untrustworthy: mismatched or unclosed tags
 * (truncation), unknown entities, stray text outside the root, broken attributes. Errors carry the byte offset so
 * callers can report line and column.
 */

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

export interface XmlHandler {
  open(name: string, attributes: Record<string, string>, offset: number): void;
  /** Character data (entities decoded); may arrive in several pieces for one element. */
  text(text: string): void;
  close(name: string): void;
  /** Set to false while text is not needed: it is then only checked, not decoded (faster). */
  capturing?: boolean;
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** 1-based line and column (in characters) of an offset: a byte offset into a Buffer, or an index into a string. */
export function lineAndColumn(source: string | Buffer, offset: number): { line: number; column: number } {
  const bytes = typeof source === 'string' ? Buffer.from(source) : source;
  const byteOffset = typeof source === 'string' ? Buffer.byteLength(source.slice(0, offset)) : offset;
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < byteOffset; i = bytes.indexOf(10, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: bytes.toString('utf8', lineStart, byteOffset).length + 1 };
}

/** Resolves the five XML entities and character references; `offset` locates errors. */
export function decodeEntities(raw: string, offset: number): string {
  if (raw.indexOf('&') === -1) return raw;
  return raw.replace(/&([^;&\s<]{0,32});?/g, (match, body: string, at: number) => {
    if (!match.endsWith(';')) throw new XmlSyntaxError(`"&" must start an entity such as &amp;`, offset + at);
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code < 1 || code > 0x10ffff) {
        throw new XmlSyntaxError(`invalid character reference &${body};`, offset + at);
      }
      return String.fromCodePoint(code);
    }
    const value = namedEntities[body];
    if (value === undefined) throw new XmlSyntaxError(`unknown entity &${body};`, offset + at);
    return value;
  });
}

type NodeBuffer = Buffer & { utf8Slice?: (start: number, end: number) => string };

/** Buffer#utf8Slice skips toString's argument handling, which dominated for 100k+ short decodes. */
function decode(src: NodeBuffer, start: number, end: number): string {
  return src.utf8Slice ? src.utf8Slice(start, end) : src.toString('utf8', start, end);
}

const internedNames = new Map<number, string>();

/** Element and attribute names repeat endlessly; reuse one string per name instead of decoding each time. */
function nameAt(src: Buffer, start: number, end: number): string {
  let hash = end - start;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + src[i]) | 0;
  const known = internedNames.get(hash);
  if (known !== undefined && known.length === end - start) {
    let same = true;
    for (let k = 0; k < known.length; k++) {
      if (known.charCodeAt(k) !== src[start + k]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const name = decode(src, start, end);
  if (internedNames.size < 4096) internedNames.set(hash, name);
  return name;
}

function isNameStart(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 58 || code > 127
  );
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57) || code === 45 || code === 46;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}

function readName(src: Buffer, start: number): number {
  let end = start;
  if (end < src.length && isNameStart(src[end])) {
    end++;
    while (end < src.length && isNameChar(src[end])) end++;
  }
  return end;
}

type Stack = { name: string; offset: number }[];

/** Parses `<name attr="v" ...>` starting at `start` (the '<'); returns the index after the tag. */
function readStartTag(src: Buffer, start: number, handler: XmlHandler, stack: Stack): number {
  const nameEnd = readName(src, start + 1);
  if (nameEnd === start + 1) throw new XmlSyntaxError('expected an element name after "<"', start);
  const name = nameAt(src, start + 1, nameEnd);
  const attributes: Record<string, string> = {};
  let i = nameEnd;
  for (;;) {
    const spaceStart = i;
    while (i < src.length && isSpace(src[i])) i++;
    if (i >= src.length)
      throw new XmlSyntaxError(`file ends inside the start tag <${name}> (truncated?)`, start);
    const code = src[i];
    if (code === 62 /* > */) {
      handler.open(name, attributes, start);
      stack.push({ name, offset: start });
      return i + 1;
    }
    if (code === 47 /* / */) {
      if (src[i + 1] !== 62) throw new XmlSyntaxError(`expected "/>" in <${name}>`, i);
      handler.open(name, attributes, start);
      handler.close(name);
      return i + 2;
    }
    if (i === spaceStart) throw new XmlSyntaxError(`expected a space before the attribute in <${name}>`, i);
    const attrEnd = readName(src, i);
    if (attrEnd === i)
      throw new XmlSyntaxError(`unexpected "${String.fromCharCode(src[i])}" in <${name}>`, i);
    const attrName = nameAt(src, i, attrEnd);
    i = attrEnd;
    while (i < src.length && isSpace(src[i])) i++;
    if (src[i] !== 61 /* = */) throw new XmlSyntaxError(`attribute ${attrName} has no value`, i);
    i++;
    while (i < src.length && isSpace(src[i])) i++;
    const quote = src[i];
    if (quote !== 34 && quote !== 39)
      throw new XmlSyntaxError(`attribute ${attrName} value must be quoted`, i);
    const valueEnd = src.indexOf(quote, i + 1);
    if (valueEnd === -1) throw new XmlSyntaxError(`file ends inside attribute ${attrName} (truncated?)`, i);
    const lt = src.indexOf(60, i + 1);
    if (lt !== -1 && lt < valueEnd)
      throw new XmlSyntaxError(`"<" is not allowed in attribute ${attrName}`, i);
    attributes[attrName] = decodeEntities(decode(src, i + 1, valueEnd), i + 1);
    i = valueEnd + 1;
  }
}

function skipPast(src: Buffer, from: number, terminator: string, what: string): number {
  const end = src.indexOf(terminator, from);
  if (end === -1) throw new XmlSyntaxError(`file ends inside ${what} (truncated?)`, from);
  return end + terminator.length;
}

function onlySpace(src: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(src[i])) return false;
  return true;
}

/** Walks the document and calls the handler; throws XmlSyntaxError at the first well-formedness problem. */
export function scanXml(source: string | Buffer, handler: XmlHandler): void {
  const src = typeof source === 'string' ? Buffer.from(source) : source;
  const stack: Stack = [];
  let sawRoot = false;
  let i = src[0] === 0xef && src[1] === 0xbb && src[2] === 0xbf ? 3 : 0;
  while (i < src.length) {
    const lt = src.indexOf(60, i);
    const textEnd = lt === -1 ? src.length : lt;
    if (textEnd > i) {
      if (stack.length === 0) {
        if (!onlySpace(src, i, textEnd)) throw new XmlSyntaxError('text outside the root element', i);
      } else if (handler.capturing !== false) {
        handler.text(decodeEntities(decode(src, i, textEnd), i));
      } else {
        const amp = src.indexOf(38, i);
        if (amp !== -1 && amp < textEnd) decodeEntities(src.toString('utf8', i, textEnd), i);
      }
    }
    if (lt === -1) break;
    const next = src[lt + 1];
    if (next === 47 /* / */) {
      const nameEnd = readName(src, lt + 2);
      const name = nameAt(src, lt + 2, nameEnd);
      let j = nameEnd;
      while (j < src.length && isSpace(src[j])) j++;
      if (src[j] !== 62) {
        throw new XmlSyntaxError(
          j >= src.length ? `file ends inside </${name}> (truncated?)` : `malformed end tag </${name}>`,
          lt,
        );
      }
      const open = stack.pop();
      if (!open) throw new XmlSyntaxError(`end tag </${name}> without a start tag`, lt);
      if (open.name !== name) {
        const at = lineAndColumn(src, open.offset);
        throw new XmlSyntaxError(
          `end tag </${name}> does not match <${open.name}> opened on line ${at.line}`,
          lt,
        );
      }
      handler.close(name);
      i = j + 1;
    } else if (next === 63 /* ? */) {
      i = skipPast(src, lt + 2, '?>', 'a processing instruction');
    } else if (next === 33 /* ! */) {
      if (src[lt + 2] === 45 && src[lt + 3] === 45) {
        i = skipPast(src, lt + 4, '-->', 'a comment');
      } else if (src.toString('latin1', lt, lt + 9) === '<![CDATA[') {
        if (stack.length === 0) throw new XmlSyntaxError('CDATA outside the root element', lt);
        const end = skipPast(src, lt + 9, ']]>', 'a CDATA section');
        if (handler.capturing !== false) handler.text(decode(src, lt + 9, end - 3));
        i = end;
      } else if (src.toString('latin1', lt, lt + 9) === '<!DOCTYPE') {
        const bracket = src.indexOf(91, lt);
        const close = src.indexOf(62, lt);
        i =
          bracket !== -1 && bracket < close
            ? skipPast(src, bracket, ']>', 'a DOCTYPE')
            : skipPast(src, lt, '>', 'a DOCTYPE');
      } else {
        throw new XmlSyntaxError('unexpected "<!"', lt);
      }
    } else {
      if (stack.length === 0 && sawRoot) throw new XmlSyntaxError('a second root element', lt);
      sawRoot = true;
      i = readStartTag(src, lt, handler, stack);
    }
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    const at = lineAndColumn(src, open.offset);
    throw new XmlSyntaxError(
      `file ends before </${open.name}> (opened on line ${at.line}); it looks truncated`,
      src.length,
    );
  }
  if (!sawRoot) throw new XmlSyntaxError('no root element (empty or not XML)', 0);
}
