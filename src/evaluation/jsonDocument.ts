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

export function parseLocatedJson(text: string): LocatedJson {
  const lines = new Map<string, number>();
  let at = 0;
  let line = 1;
  let lineStart = 0;

  const fail = (what: string): never => {
    const message =
      at >= text.length && !what.startsWith('unexpected end') ? `unexpected end of file (${what})` : what;
    throw new JsonSyntaxError(
      `${message} at line ${line}, column ${at - lineStart + 1}`,
      line,
      at - lineStart + 1,
    );
  };
  const skipSpace = () => {
    while (at < text.length) {
      const c = text[at];
      if (c === '\n') {
        line += 1;
        lineStart = at + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      at += 1;
    }
  };
  const token = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) return undefined;
    at += match[0].length;
    return match[0];
  };
  const decodeString = (raw: string): string => {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('invalid string (a control character or a bad escape)');
    }
  };
  const expect = (c: string) => {
    skipSpace();
    if (text[at] !== c) fail(`expected '${c}'`);
    at += 1;
  };

  const parseValue = (path: (string | number)[]): unknown => {
    skipSpace();
    lines.set(JSON.stringify(path), line);
    const c = text[at];
    if (c === '{') {
      at += 1;
      const result: Record<string, unknown> = {};
      skipSpace();
      if (text[at] === '}') {
        at += 1;
        return result;
      }
      for (;;) {
        skipSpace();
        const key = token(STRING);
        if (key === undefined) fail('expected a property name in double quotes');
        const name = decodeString(key as string);
        expect(':');
        result[name] = parseValue([...path, name]);
        skipSpace();
        if (text[at] === ',') at += 1;
        else if (text[at] === '}') {
          at += 1;
          return result;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      at += 1;
      const result: unknown[] = [];
      skipSpace();
      if (text[at] === ']') {
        at += 1;
        return result;
      }
      for (;;) {
        result.push(parseValue([...path, result.length]));
        skipSpace();
        if (text[at] === ',') at += 1;
        else if (text[at] === ']') {
          at += 1;
          return result;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      const raw = token(STRING);
      if (raw === undefined) fail('unterminated string');
      return decodeString(raw as string);
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return value;
      }
    }
    const number = token(NUMBER);
    if (number !== undefined) return Number(number);
    // Python's json writes NaN/Infinity unless told not to; name them, they are the likeliest non-JSON here.
    const bare = /NaN|-?Infinity/y;
    bare.lastIndex = at;
    if (bare.test(text)) fail(`${text.slice(at).match(/^-?\w+/)?.[0]} is not valid JSON (use null)`);
    return fail(at >= text.length ? 'unexpected end of file' : `unexpected character '${c}'`);
  };

  const value = parseValue([]);
  skipSpace();
  if (at < text.length) fail('unexpected text after the JSON value');
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
