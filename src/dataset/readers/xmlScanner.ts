/**
 * A small, strict-enough XML scanner for MedQuAD-sized documents.
 *
 * Why not a DOM parser: importing MedQuAD means 11k files / 60 MB, and building a DOM per file costs more than the
 * data we keep. This scanner walks the text once with indexOf, emits open/text/close events and still rejects what
 * makes a file untrustworthy: mismatched or unclosed tags (truncation), unknown entities, stray text outside the root,
 * broken attributes. Errors carry the character offset so callers can report line and column.
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
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Converts an offset into 1-based line and column numbers (only computed when something goes wrong). */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

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

function readName(src: string, start: number): number {
  let end = start;
  if (end < src.length && isNameStart(src.charCodeAt(end))) {
    end++;
    while (end < src.length && isNameChar(src.charCodeAt(end))) end++;
  }
  return end;
}

/** Parses `<name attr="v" ...>` starting at `start` (the '<'); returns the index after '>' and whether it self-closes. */
function readStartTag(
  src: string,
  start: number,
  handler: XmlHandler,
  stack: { name: string; offset: number }[],
): number {
  const nameEnd = readName(src, start + 1);
  if (nameEnd === start + 1) throw new XmlSyntaxError('expected an element name after "<"', start);
  const name = src.slice(start + 1, nameEnd);
  const attributes: Record<string, string> = {};
  let i = nameEnd;
  for (;;) {
    const spaceStart = i;
    while (i < src.length && isSpace(src.charCodeAt(i))) i++;
    if (i >= src.length)
      throw new XmlSyntaxError(`file ends inside the start tag <${name}> (truncated?)`, start);
    const code = src.charCodeAt(i);
    if (code === 62 /* > */) {
      handler.open(name, attributes, start);
      stack.push({ name, offset: start });
      return i + 1;
    }
    if (code === 47 /* / */) {
      if (src.charCodeAt(i + 1) !== 62) throw new XmlSyntaxError(`expected "/>" in <${name}>`, i);
      handler.open(name, attributes, start);
      handler.close(name);
      return i + 2;
    }
    if (i === spaceStart) throw new XmlSyntaxError(`expected a space before the attribute in <${name}>`, i);
    const attrEnd = readName(src, i);
    if (attrEnd === i) throw new XmlSyntaxError(`unexpected "${src[i]}" in <${name}>`, i);
    const attrName = src.slice(i, attrEnd);
    i = attrEnd;
    while (i < src.length && isSpace(src.charCodeAt(i))) i++;
    if (src.charCodeAt(i) !== 61 /* = */) throw new XmlSyntaxError(`attribute ${attrName} has no value`, i);
    i++;
    while (i < src.length && isSpace(src.charCodeAt(i))) i++;
    const quote = src[i];
    if (quote !== '"' && quote !== "'")
      throw new XmlSyntaxError(`attribute ${attrName} value must be quoted`, i);
    const valueEnd = src.indexOf(quote, i + 1);
    if (valueEnd === -1) throw new XmlSyntaxError(`file ends inside attribute ${attrName} (truncated?)`, i);
    const raw = src.slice(i + 1, valueEnd);
    if (raw.indexOf('<') !== -1) throw new XmlSyntaxError(`"<" is not allowed in attribute ${attrName}`, i);
    attributes[attrName] = decodeEntities(raw, i + 1);
    i = valueEnd + 1;
  }
}

function skipPast(src: string, from: number, terminator: string, what: string): number {
  const end = src.indexOf(terminator, from);
  if (end === -1) throw new XmlSyntaxError(`file ends inside ${what} (truncated?)`, from);
  return end + terminator.length;
}

/** Walks the document and calls the handler; throws XmlSyntaxError at the first well-formedness problem. */
export function scanXml(src: string, handler: XmlHandler): void {
  const stack: { name: string; offset: number }[] = [];
  let sawRoot = false;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt === -1 ? src.length : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      if (stack.length > 0) handler.text(decodeEntities(raw, i));
      else if (raw.trim() !== '') throw new XmlSyntaxError('text outside the root element', i);
    }
    if (lt === -1) break;
    const next = src.charCodeAt(lt + 1);
    if (next === 47 /* / */) {
      const nameEnd = readName(src, lt + 2);
      const name = src.slice(lt + 2, nameEnd);
      let j = nameEnd;
      while (j < src.length && isSpace(src.charCodeAt(j))) j++;
      if (src.charCodeAt(j) !== 62) {
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
      if (src.startsWith('<!--', lt)) {
        i = skipPast(src, lt + 4, '-->', 'a comment');
      } else if (src.startsWith('<![CDATA[', lt)) {
        if (stack.length === 0) throw new XmlSyntaxError('CDATA outside the root element', lt);
        const end = skipPast(src, lt + 9, ']]>', 'a CDATA section');
        handler.text(src.slice(lt + 9, end - 3));
        i = end;
      } else if (src.startsWith('<!DOCTYPE', lt)) {
        const bracket = src.indexOf('[', lt);
        const close = src.indexOf('>', lt);
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
