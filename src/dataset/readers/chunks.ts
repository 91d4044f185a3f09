/**
 * Text in chunks: a big data file is read a piece at a time (no string near V8's ~512 MiB limit, no second copy of
 * the file in memory), and split into lines with a cap on each line's length.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface ChunkedFile {
  /** The file's text, chunk by chunk (a character split between reads is kept whole by the decoder). */
  chunks: Iterable<string>;
  /** After reading: the 1-based line of the first byte sequence that is not UTF-8, if any. */
  badEncodingLine(): number | undefined;
}

/** Reads `file` in `chunkBytes` pieces, synchronously (it runs in the dataset worker, off the UI thread). */
export function readFileChunks(file: string, chunkBytes = 1 << 20): ChunkedFile {
  let badLine: number | undefined;
  function* chunks(): Generator<string> {
    const fd = openSync(file, 'r');
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let lines = 1;
    let carry = Buffer.alloc(0);
    try {
      for (let position = 0; ;) {
        const n = readSync(fd, buffer, 0, buffer.length, position);
        if (n === 0) break;
        position += n;
        const bytes = buffer.subarray(0, n);
        if (badLine === undefined) badLine = firstBadLine(Buffer.concat([carry, bytes]), lines);
        // Bytes of a character cut by this read are checked again with the next read.
        carry = Buffer.from(bytes.subarray(completeLength(bytes)));
        const text = decoder.write(bytes);
        for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
        yield text;
      }
      const rest = decoder.end();
      if (rest) {
        if (badLine === undefined && carry.length) badLine = lines;
        yield rest;
      }
    } finally {
      closeSync(fd);
    }
  }
  return { chunks: chunks(), badEncodingLine: () => badLine };
}

/** The length of `bytes` without a UTF-8 character cut at its end. */
function completeLength(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) !== 0x80) {
      const width = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return width > back ? bytes.length - back : bytes.length;
    }
  }
  return bytes.length;
}

/** The line of the first invalid UTF-8 in `bytes` (a cut character at the end is not invalid yet), or undefined. */
function firstBadLine(bytes: Buffer, firstLine: number): number | undefined {
  const whole = bytes.subarray(0, completeLength(bytes));
  if (isUtf8(whole)) return undefined;
  const offset = badByteOffset(whole);
  let line = firstLine;
  for (let i = whole.indexOf(10); i !== -1 && i < offset; i = whole.indexOf(10, i + 1)) line++;
  return line;
}

/** The offset of the first byte that is not part of valid UTF-8 (bytes.length when there is none). */
export function badByteOffset(bytes: Buffer): number {
  const text = bytes.toString('utf8');
  let offset = 0;
  let from = 0;
  // U+FFFD in the text is a bad byte sequence, or a real U+FFFD (EF BF BD) in the file: skip those.
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    offset += Buffer.byteLength(text.slice(from, i));
    from = i;
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) return offset;
  }
  return bytes.length;
}

/**
 * Splits chunks into lines (LF; a CR before it stays on the line, as `split('\n')` leaves it), dropping a leading
 * BOM. A line longer than `maxChars` is not kept: `onOverlong(line)` is called and the line is skipped.
 */
export function* splitLines(
  chunks: Iterable<string>,
  maxChars: number,
  onOverlong: (line: number) => void,
): Generator<{ text: string; line: number }> {
  let pending: string[] = [];
  let pendingChars = 0;
  let overlong = false;
  let line = 1;
  let first = true;
  for (let chunk of chunks) {
    if (first && chunk) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let from = 0;
    for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', from)) {
      const piece = chunk.slice(from, at);
      if (overlong || pendingChars + piece.length > maxChars) onOverlong(line);
      else yield { text: pending.length ? pending.join('') + piece : piece, line };
      pending = [];
      pendingChars = 0;
      overlong = false;
      line++;
      from = at + 1;
    }
    const rest = chunk.slice(from);
    if (overlong || pendingChars + rest.length > maxChars) {
      overlong = true;
      pending = [];
      pendingChars = 0;
    } else if (rest) {
      pending.push(rest);
      pendingChars += rest.length;
    }
  }
  if (overlong) onOverlong(line);
  else if (pendingChars) yield { text: pending.join(''), line };
}
