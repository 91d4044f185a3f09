/**
 * A JSON parser that remembers the line of every value, so a problem in a metrics or comparison file can be
 * reported as `metrics.json:42: overall.f1.value must be a number` instead of just a path.
 */

export type JsonPath = readonly (string | number)[];

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export interface LocatedJson {
  value: unknown;
  /** Line (1-based) where the value at `path` starts; the nearest located parent's line when the path is absent. */
  lineOf(path: JsonPath): number;
}

export function pathText(path: JsonPath): string {
  return (
    path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('') ||
    '(top level)'
  );
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const STRING = /"(?:[^"\\\n]|\\.)*"/y;

/** A cursor over the text that counts lines, so every problem and every value can say where it is. */
class Scanner {
  at = 0;
  line = 1;
  private lineStart = 0;

  constructor(readonly text: string) {}

  fail(what: string): never {
    const { text, at, line } = this;
    const message =
      at >= text.length && !what.startsWith('unexpected end') ? `unexpected end of file (${what})` : what;
    throw new JsonSyntaxError(
      `${message} at line ${line}, column ${at - this.lineStart + 1}`,
      line,
      at - this.lineStart + 1,
    );
  }

  skipSpace(): void {
    const { text } = this;
    while (this.at < text.length) {
      const c = text[this.at];
      if (c === '\n') {
        this.line += 1;
        this.lineStart = this.at + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      this.at += 1;
    }
  }

  /** The character at the cursor, after any white space. */
  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.at];
  }

  token(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (!match) return undefined;
    this.at += match[0].length;
    return match[0];
  }

  decodeString(raw: string): string {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return this.fail('invalid string (a control character or a bad escape)');
    }
  }

  expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}'`);
    this.at += 1;
  }
}

/** The JSON grammar over a scanner, noting the line where each value starts under its path. */
class LocatingParser extends Scanner {
  readonly lines = new Map<string, number>();

  value(path: (string | number)[]): unknown {
    this.skipSpace();
    this.lines.set(JSON.stringify(path), this.line);
    const c = this.text[this.at];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') {
      const raw = this.token(STRING);
      if (raw === undefined) this.fail('unterminated string');
      return this.decodeString(raw as string);
    }
    return this.literal(c);
  }

  private object(path: (string | number)[]): Record<string, unknown> {
    this.at += 1;
    const result: Record<string, unknown> = {};
    if (this.peek() === '}') {
      this.at += 1;
      return result;
    }
    for (;;) {
      this.skipSpace();
      const key = this.token(STRING);
      if (key === undefined) this.fail('expected a property name in double quotes');
      const name = this.decodeString(key as string);
      this.expect(':');
      result[name] = this.value([...path, name]);
      const next = this.peek();
      if (next === ',') this.at += 1;
      else if (next === '}') {
        this.at += 1;
        return result;
      } else this.fail("expected ',' or '}'");
    }
  }

  private array(path: (string | number)[]): unknown[] {
    this.at += 1;
    const result: unknown[] = [];
    if (this.peek() === ']') {
      this.at += 1;
      return result;
    }
    for (;;) {
      result.push(this.value([...path, result.length]));
      const next = this.peek();
      if (next === ',') this.at += 1;
      else if (next === ']') {
        this.at += 1;
        return result;
      } else this.fail("expected ',' or ']'");
    }
  }

  /** true, false, null or a number; anything else is the error. */
  private literal(c: string | undefined): unknown {
    const { text } = this;
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    const number = this.token(NUMBER);
    if (number !== undefined) return Number(number);
    // Python's json writes NaN/Infinity unless told not to; name them, they are the likeliest non-JSON here.
    const bare = /NaN|-?Infinity/y;
    bare.lastIndex = this.at;
    if (bare.test(text))
      this.fail(`${text.slice(this.at).match(/^-?\w+/)?.[0]} is not valid JSON (use null)`);
    return this.fail(this.at >= text.length ? 'unexpected end of file' : `unexpected character '${c}'`);
  }
}

export function parseLocatedJson(text: string): LocatedJson {
  const parser = new LocatingParser(text);
  const value = parser.value([]);
  parser.skipSpace();
  if (parser.at < text.length) parser.fail('unexpected text after the JSON value');
  const { lines } = parser;
  return {
    value,
    lineOf(path) {
      for (let length = path.length; length >= 0; length -= 1) {
        const found = lines.get(JSON.stringify(path.slice(0, length)));
        if (found !== undefined) return found;
      }
      return 1;
    },
  };
}
