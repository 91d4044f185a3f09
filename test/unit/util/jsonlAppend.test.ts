import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppendRefusedError, appendJsonLine, appendLine } from '../../../src/util/jsonlAppend';

let root: string;
let file: string;

/** A fresh folder per test, with `file` (not yet created) in it. */
function inTempFolder(): void {
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-jsonl-'));
    file = path.join(root, 'log.jsonl');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
}

describe('appendJsonLine (the one JSON-lines appender)', () => {
  inTempFolder();

  it('writes each record as one line, line breaks inside strings included, and creates the file', async () => {
    const first = { text: 'two\nlines\r\nand a\u2028separator', n: 1 };
    await appendJsonLine(file, first);
    await appendJsonLine(file, { n: 2 });
    const text = readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.split('\n').slice(0, -1);
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((line) => JSON.parse(line) as unknown),
      [first, { n: 2 }],
    );
  });

  it('refuses a line that holds a line break, and a value JSON cannot write', async () => {
    await assert.rejects(appendLine(file, '{"a":1}\n{"b":2}'), /must be one line/);
    await assert.rejects(appendJsonLine(file, undefined), /not a JSON value/);
    assert.throws(() => readFileSync(file), /ENOENT/, 'nothing written');
  });

  it('with closeTornLine, finishes a last line a crash left without its newline before appending', async () => {
    writeFileSync(file, '{"n":1}\n{"n":2,"te');
    await appendJsonLine(file, { n: 3 }, { closeTornLine: true });
    assert.equal(readFileSync(file, 'utf8'), '{"n":1}\n{"n":2,"te\n{"n":3}\n');
    await appendJsonLine(file, { n: 4 }, { closeTornLine: true });
    assert.equal(
      readFileSync(file, 'utf8'),
      '{"n":1}\n{"n":2,"te\n{"n":3}\n{"n":4}\n',
      'a whole line: no gap',
    );
  });

  it('without closeTornLine, appends right after a torn line (readers such as grades split them apart)', async () => {
    writeFileSync(file, '{"n":1}\n{"n":2,"te');
    await appendJsonLine(file, { n: 3 });
    assert.equal(readFileSync(file, 'utf8'), '{"n":1}\n{"n":2,"te{"n":3}\n');
  });

  it('lands whole lines one after another when many appends run at once', async () => {
    const long = 'x'.repeat(50_000);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        appendJsonLine(file, { i, long }, { closeTornLine: i % 2 === 0, durable: i % 3 === 0 }),
      ),
    );
    const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
    const seen = lines
      .map((line) => (JSON.parse(line) as { i: number; long: string }).i)
      .sort((a, b) => a - b);
    assert.deepEqual(
      seen,
      Array.from({ length: 40 }, (_, i) => i),
    );
  });
});

describe('appendJsonLine with regularFileOnly', () => {
  inTempFolder();

  it('refuses a symbolic link and leaves its target untouched', async () => {
    const target = path.join(root, 'elsewhere.jsonl');
    writeFileSync(target, '');
    symlinkSync(target, file);
    await assert.rejects(
      appendJsonLine(file, { n: 1 }, { regularFileOnly: true }),
      (error: unknown) => error instanceof AppendRefusedError && error.reason === 'symbolic-link',
    );
    assert.equal(readFileSync(target, 'utf8'), '');
    await appendJsonLine(file, { n: 1 });
    assert.equal(readFileSync(target, 'utf8'), '{"n":1}\n', 'without the option the link is written through');
  });

  it('refuses a folder, and a FIFO without hanging', async () => {
    mkdirSync(file);
    await assert.rejects(
      appendJsonLine(file, { n: 1 }, { regularFileOnly: true }),
      (error: unknown) => error instanceof AppendRefusedError && error.reason === 'not-a-regular-file',
    );
    if (process.platform === 'win32') return;
    const fifo = path.join(root, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    for (const closeTornLine of [false, true])
      await assert.rejects(
        appendJsonLine(fifo, { n: 1 }, { regularFileOnly: true, closeTornLine }),
        (error: unknown) => error instanceof AppendRefusedError && error.reason === 'not-a-regular-file',
      );
  });
});
