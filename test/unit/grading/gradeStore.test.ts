import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendRecord, readGradeBook } from '../../../src/grading/gradeFiles';
import {
  graderProblem,
  gradeOf,
  textHash,
  type AnswerIdentity,
  type GradeRecord,
} from '../../../src/grading/gradeStore';

function identity(prediction: string, example = 'q1'): AnswerIdentity {
  return {
    example,
    run: 'run-a',
    checkpoint: 'checkpoint-40',
    side: 'adapter',
    decoding: 'abc123',
    prediction: textHash(prediction),
  };
}

function grade(grader: string, answer: AnswerIdentity, value: GradeRecord['grade'], at: string): GradeRecord {
  return { kind: 'grade', grader, at, evaluation: 'e1', ...answer, grade: value, flags: [], comment: '' };
}

function runWorker(dir: string, grader: string, tag: string, count: number): Promise<void> {
  const worker = path.join(__dirname, 'appendWorker.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, dir, grader, tag, String(count)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker ${tag} exited ${code}: ${stderr}`)),
    );
  });
}

describe('grade store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-grades-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips grades; the latest line per answer wins', async () => {
    const answer = identity('Take the medicine twice a day.');
    await appendRecord(dir, grade('alice', answer, 2, '2026-01-01T00:00:00Z'));
    await appendRecord(dir, {
      ...grade('alice', answer, 4, '2026-01-01T00:01:00Z'),
      flags: ['missing'],
      comment: 'ok, "quoted"\nline',
    });
    const book = await readGradeBook(dir);
    assert.deepEqual(book.problems, []);
    assert.deepEqual(book.graders, ['alice']);
    const { current, stale } = gradeOf(book, 'alice', answer);
    assert.equal(current?.grade, 4);
    assert.deepEqual(current?.flags, ['missing']);
    assert.equal(current?.comment, 'ok, "quoted"\nline');
    assert.equal(stale, undefined);
    assert.equal(
      readFileSync(path.join(dir, 'alice.jsonl'), 'utf8').split('\n').filter(Boolean).length,
      2,
      'append-only',
    );
  });

  it('skips and reports a last line torn by a crash; the next append stays readable', async () => {
    const answer = identity('An answer.');
    await appendRecord(dir, grade('bob', answer, 3, '2026-01-01T00:00:00Z'));
    const file = path.join(dir, 'bob.jsonl');
    appendFileSync(file, '{"format":"medqa-grade","version":1,"kind":"grade","grader":"bob","at":"2026');
    let book = await readGradeBook(dir);
    assert.equal(gradeOf(book, 'bob', answer).current?.grade, 3);
    assert.equal(book.problems.length, 1);
    assert.match(book.problems[0], /bob\.jsonl:2: the last line is incomplete/);

    const other = identity('Another answer.', 'q2');
    await appendRecord(dir, grade('bob', other, 1, '2026-01-01T00:02:00Z'));
    book = await readGradeBook(dir);
    assert.equal(gradeOf(book, 'bob', other).current?.grade, 1, 'the new line is not glued to the torn one');
    assert.equal(gradeOf(book, 'bob', answer).current?.grade, 3);
    assert.match(book.problems.join('\n'), /bob\.jsonl:2: a record cut off by a crash/);
  });

  it('reports garbage lines, other formats and unknown graders with file and line, and keeps the rest', async () => {
    const answer = identity('Text.');
    const good = JSON.stringify({
      format: 'medqa-grade',
      version: 1,
      ...grade('carol', answer, 2, '2026-01-01T00:00:00Z'),
    });
    writeFileSync(
      path.join(dir, 'carol.jsonl'),
      [
        'garbage',
        good,
        '{"format":"something-else","version":1}',
        JSON.stringify({ ...JSON.parse(good), grader: '../etc' }),
        JSON.stringify({ ...JSON.parse(good), grade: 7 }),
        '',
      ].join('\n'),
    );
    const book = await readGradeBook(dir);
    assert.equal(gradeOf(book, 'carol', answer).current?.grade, 2);
    assert.equal(book.problems.length, 4);
    assert.match(book.problems[0], /carol\.jsonl:1: not valid JSON/);
    assert.match(book.problems[1], /carol\.jsonl:3: format is "something-else"/);
    assert.match(book.problems[2], /carol\.jsonl:4: grader "\.\.\/etc" in carol's file/);
    assert.match(book.problems[3], /carol\.jsonl:5: 'grade' must be 1–4/);
  });

  it('reports records with wrong types, another grader or a one-sided blind order, instead of reading them', async () => {
    const answer = identity('Text.');
    const good = { format: 'medqa-grade', version: 1, ...grade('erin', answer, 2, '2026-01-01T00:00:00Z') };
    const preference = {
      format: 'medqa-grade',
      version: 1,
      kind: 'preference',
      grader: 'erin',
      at: '2026-01-01T00:00:00Z',
      evaluation: 'e1',
      example: 'q1',
      run: 'run-a',
      checkpoint: 'checkpoint-40',
      decoding: 'abc123',
      predictions: { base: 'b', adapter: 'a' },
      seed: 1,
      preference: 'A',
    };
    const lines = [
      { ...good, flags: 'unsafe', grade: 1 },
      { ...good, flags: ['unsafe', 'unsafe'], grade: 1 },
      { ...good, comment: 42, grade: 1 },
      { ...good, blind: { seed: 'x', label: 'A' }, grade: 1 },
      { ...good, evaluation: ['e1'], grade: 1 },
      { ...good, grader: 'bob', grade: 1 },
      { ...preference, order: { A: 'base', B: 'base' } },
      { ...preference, order: { A: 'base', B: 'adapter' }, seed: '1' },
      good,
    ];
    writeFileSync(path.join(dir, 'erin.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const book = await readGradeBook(dir);
    // Only the good line counts: none of the bad ones (all grade 1) is read in a coerced form.
    assert.equal(gradeOf(book, 'erin', answer).current?.grade, 2);
    assert.equal(gradeOf(book, 'erin', answer, true).current, undefined, 'no blind grade from a bad blind');
    assert.deepEqual(book.graders, ['erin'], "bob is not a grader because erin's file says so");
    assert.equal(book.preferences.get('erin'), undefined);
    const expected = [
      /erin\.jsonl:1: 'flags' must be a list of "unsafe", .*not "unsafe"; the line is skipped/,
      /erin\.jsonl:2: 'flags' lists a flag twice/,
      /erin\.jsonl:3: 'comment' must be a string, not 42/,
      /erin\.jsonl:4: 'blind' must be \{"seed": an integer, "label": "A" or "B"\}/,
      /erin\.jsonl:5: 'evaluation' must be a string/,
      /erin\.jsonl:6: grader "bob" in erin's file: a grade file holds only the grades of the grader it is named/,
      /erin\.jsonl:7: 'order' shows "base" as both A and B/,
      /erin\.jsonl:8: 'seed' must be an integer/,
    ];
    assert.equal(book.problems.length, expected.length, book.problems.join('\n'));
    expected.forEach((pattern, i) => assert.match(book.problems[i], pattern));
  });

  it('refuses grader names that are not plain file names', async () => {
    for (const bad of ['', '../x', 'a/b', '.hidden', ' padded', 'x'.repeat(65)])
      assert.ok(graderProblem(bad), bad);
    for (const good of ['alice', 'Dr. Müller', 'grader_2', 'j-doe'])
      assert.equal(graderProblem(good), undefined, good);
    await assert.rejects(
      appendRecord(dir, grade('../escape', identity('x'), 1, '2026-01-01T00:00:00Z')),
      /cannot be a grader name/,
    );
  });

  it('shows a grade as stale once the answer text changes, and never applies it to the new text', async () => {
    const before = identity('Old answer text.');
    await appendRecord(dir, grade('dana', before, 4, '2026-01-01T00:00:00Z'));
    const after = identity('New answer text after re-evaluation.');
    const book = await readGradeBook(dir);
    const { current, stale } = gradeOf(book, 'dana', after);
    assert.equal(current, undefined);
    assert.equal(stale?.grade, 4);
    assert.equal(
      gradeOf(book, 'dana', { ...before, decoding: 'other' }).current,
      undefined,
      'other decoding',
    );
  });

  it('loses and duplicates nothing when two processes append 1,000 grades each at once', async function () {
    this.timeout(120_000);
    mkdirSync(dir, { recursive: true });
    await Promise.all([runWorker(dir, 'shared', 'one', 1000), runWorker(dir, 'shared', 'two', 1000)]);
    const lines = readFileSync(path.join(dir, 'shared.jsonl'), 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, 2000);
    const examples = lines.map((line) => (JSON.parse(line) as { example: string }).example);
    assert.equal(new Set(examples).size, 2000, 'no line duplicated or interleaved');
    const book = await readGradeBook(dir);
    assert.deepEqual(book.problems, []);
    assert.equal(book.grades.get('shared')?.size, 2000);
  });
});
