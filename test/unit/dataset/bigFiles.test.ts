import * as assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { importDataset } from '../../../src/dataset/import';
import { readFileChunks, splitLines } from '../../../src/dataset/readers/chunks';
import { readCsv, readCsvChunks } from '../../../src/dataset/readers/csv';
import { readJsonl, readJsonlChunks } from '../../../src/dataset/readers/jsonl';

/** Cuts a text at the given fractions, into the pieces a file read in chunks would give. */
function cut(text: string, fractions: number[]): string[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  pieces.push(text.slice(from));
  return pieces;
}

// CSV/JSONL text made of the characters that matter to the parsers: quotes, delimiters, CR, LF, a BOM.
const csvText = fc
  .array(fc.constantFrom('"', ',', ';', '\t', '\r', '\n', 'a', 'q', ' ', '\uFEFF', 'é'), { maxLength: 200 })
  .map((chars) => `question,answer\n${chars.join('')}`);
const jsonlText = fc
  .array(
    fc.oneof(
      fc.record({ question: fc.string(), answer: fc.string() }).map((r) => JSON.stringify(r)),
      fc.constantFrom('', '{', '\r', '[]', '{"question":"q"}'),
    ),
    { maxLength: 20 },
  )
  .map((lines) => lines.join('\n'));
const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

describe('big dataset files stream through in chunks', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'medqa-big-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('CSV and JSONL give the same pairs and problems however the text is cut into chunks', () => {
    fc.assert(
      fc.property(csvText, fractions, (text, at) => {
        assert.deepEqual(readCsvChunks(cut(text, at), 'x.csv'), readCsv(text, 'x.csv'));
      }),
      { numRuns: 2000, seed: 11 },
    );
    fc.assert(
      fc.property(jsonlText, fractions, (text, at) => {
        assert.deepEqual(readJsonlChunks(cut(text, at), 'x.jsonl'), readJsonl(text, 'x.jsonl'));
      }),
      { numRuns: 2000, seed: 12 },
    );
  });

  it('a line over the cap is a problem on its line, and the lines after it still import', () => {
    const overlong: number[] = [];
    const lines = [
      ...splitLines(['ab\nlong', 'er-than-cap', '\ncd\n', 'tail-too-long'], 5, (l) => overlong.push(l)),
    ];
    assert.deepEqual(lines, [
      { text: 'ab', line: 1 },
      { text: 'cd', line: 3 },
    ]);
    assert.deepEqual(overlong, [2, 4]);
  });

  it('a JSONL file over 512 MiB (a string V8 cannot hold) no longer ends the import: its problem is reported', async function () {
    this.timeout(120_000);
    const file = path.join(dir, 'huge.jsonl');
    const fd = openSync(file, 'w');
    writeSync(fd, '{"question":"What is acne?","answer":"A skin condition."}\n');
    closeSync(fd);
    // 513 MiB: one record, then one NUL-filled "line" (a sparse file, so it costs no disk), then nothing.
    truncateSync(file, 513 * (1 << 20));
    writeFileSync(path.join(dir, 'small.csv'), 'question,answer\nWhat is gout?,A kind of arthritis.\n');

    const result = await importDataset(dir);
    assert.deepEqual(
      result.pairs.map((p) => p.question),
      ['What is acne?', 'What is gout?'],
    );
    assert.deepEqual(
      result.problems.map((p) => [p.file, p.line, p.kind]),
      [['huge.jsonl', 2, 'bad-row']],
    );
    assert.match(result.problems[0].message, /longer than 16 M characters; skipped/);
  });

  it('a file over the size limit is a clear problem naming the limit and the setting; the others import', async () => {
    writeFileSync(path.join(dir, 'big.csv'), `question,answer\n${'What is it?,It is.\n'.repeat(400_000)}`);
    writeFileSync(path.join(dir, 'small.jsonl'), '{"question":"What is gout?","answer":"Arthritis."}\n');
    const result = await importDataset(dir, { maxFileBytes: 5 << 20 });
    assert.deepEqual(
      result.pairs.map((p) => p.question),
      ['What is gout?'],
    );
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0].kind, 'too-large');
    assert.match(
      result.problems[0].message,
      /is 7 MiB, over the 5 MiB limit \(setting medqa\.dataset\.maxFileMegabytes\)/,
    );

    const all = await importDataset(dir);
    assert.equal(all.pairs.length, 400_001, 'below the limit the big file streams through in full');
  });

  it('reports the line of the first byte that is not UTF-8 in a streamed file, across chunk borders', () => {
    const file = path.join(dir, 'latin1.csv');
    const good = 'question,answer\n' + 'What is it?,It is fine.\n'.repeat(50);
    writeFileSync(file, Buffer.concat([Buffer.from(good), Buffer.from('Caf\xe9?,Yes.\n', 'latin1')]));
    for (const chunkBytes of [7, 64, 1 << 20]) {
      const chunked = readFileChunks(file, chunkBytes);
      const text = [...chunked.chunks].join('');
      assert.equal(text.split('\n').length, 53);
      assert.equal(chunked.badEncodingLine(), 52, `chunks of ${chunkBytes} bytes`);
    }
    // A multi-byte character cut by a read is not a bad byte.
    writeFileSync(file, 'question,answer\n' + 'Qu’est-ce que c’est ? é,Oui.\n'.repeat(20));
    for (const chunkBytes of [3, 5, 17]) {
      const chunked = readFileChunks(file, chunkBytes);
      assert.equal([...chunked.chunks].join('').includes('\uFFFD'), false);
      assert.equal(chunked.badEncodingLine(), undefined);
    }
  });
});
