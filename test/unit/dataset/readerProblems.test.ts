import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeIdsUnique } from '../../../src/dataset/import';
import { readCsv } from '../../../src/dataset/readers/csv';
import { nearMissField } from '../../../src/dataset/readers/fieldNames';
import { jsonErrorAt, readJsonl } from '../../../src/dataset/readers/jsonl';
import { countProblems, MAX_PROBLEMS_PER_FILE } from '../../../src/dataset/readers/problemLog';
import { repoRoot } from '../../support/paths';

describe('import problems: NUL bytes, positions, misspelt keys and long problem lists', function () {
  this.timeout(120_000);

  it('reports a CSV row with NUL bytes (file and line) and skips it; the other rows import', () => {
    const csv = 'question,answer\nWhat is flu?,A virus.\nbin\0ary,da\0ta\nWhat is a cold?,Also a virus.\n';
    const { pairs, problems } = readCsv(csv, 'data/qa.csv');
    assert.deepEqual(
      pairs.map((p) => p.question),
      ['What is flu?', 'What is a cold?'],
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, 'data/qa.csv');
    assert.equal(problems[0].line, 3);
    assert.match(problems[0].message, /row 2 has NUL bytes \(\\0\) in field 1 \("question"\): not text/);
    const utf16 = readCsv('q\0u\0e\0s\0t\0i\0o\0n\0,\0a\0n\0s\0w\0e\0r\0\n\0', 'utf16.csv');
    assert.match(utf16.problems[0].message, /header row has NUL bytes/);
  });

  it("reports a bad JSONL line at the file's line and column, whatever the engine's message says", () => {
    const text = '{"question": "q1", "answer": "a1"}\n  {"question": "q2", "answer": "a2" "x": 1}\n';
    const { pairs, problems } = readJsonl(text, 'qa.jsonl');
    assert.equal(pairs.length, 1);
    assert.equal(problems.length, 1);
    const at = text.split('\n')[1].indexOf('"x"') + 1;
    assert.deepEqual([problems[0].line, problems[0].column], [2, at]);
    assert.match(problems[0].message, new RegExp(`^invalid JSON at line 2, column ${at}: `));
    assert.doesNotMatch(problems[0].message, /line 1|position/);
    // Newer engines (Node 22+, VS Code's) add "(line 1 column N)" counted inside the one parsed line.
    assert.deepEqual(
      jsonErrorAt("Expected ',' or '}' after property value in JSON at position 79 (line 1 column 80)", 2),
      { column: 82, reason: "Expected ',' or '}' after property value" },
    );
    assert.deepEqual(jsonErrorAt('Unexpected end of JSON input', 0), {
      reason: 'Unexpected end of JSON input',
    });
  });

  it("names a misspelt key: unknown key 'qustion' (did you mean 'question'?)", () => {
    const text = [
      '{"qustion": "What is flu?", "answer": "A virus."}',
      '{"question": "What is a cold?", "answr": "A virus."}',
      '{"question": "What is RSV?", "answer": "A virus.", "tag": "x", "url": "u", "types": "t"}',
      '{"prompt": "What is X?"}',
    ].join('\n');
    const { pairs, problems } = readJsonl(text, 'qa.jsonl');
    assert.deepEqual(
      problems.map((p) => [p.line, p.message]),
      [
        [1, "no question: unknown key 'qustion' (did you mean 'question'?)"],
        [2, "no answer: unknown key 'answr' (did you mean 'answer'?)"],
      ],
    );
    assert.deepEqual(
      pairs.map((p) => p.question),
      ['What is RSV?', 'What is X?'],
      'other keys are no near miss; a record without an answer key still imports',
    );
    assert.deepEqual(nearMissField('Qeustion'), { field: 'question', name: 'question' }, 'a transposition');
    assert.equal(nearMissField('tag'), undefined, 'short names are not guessed');
    const header = readCsv('qustion,answer\nq,a\n', 'qa.csv').problems[0].message;
    assert.match(
      header,
      /no question column in the header \(qustion, answer\); unknown column 'qustion' \(did you mean 'question'\?\)/,
    );
  });

  it('keeps the first 1,000 problems of a file and counts the rest (1,000,000 `{}` lines, and --json)', () => {
    const lines = '{}\n'.repeat(1_000_000);
    const { problems } = readJsonl(lines, 'empty-records.jsonl');
    assert.equal(problems.length, MAX_PROBLEMS_PER_FILE + 1);
    const last = problems[MAX_PROBLEMS_PER_FILE];
    assert.equal(last.omitted, 999_000);
    assert.match(
      last.message,
      /^999,000 more problems in this file are not listed \(only the first 1,000 are\): 999,000 bad-row$/,
    );
    assert.equal(countProblems(problems), 1_000_000);

    const dir = mkdtempSync(path.join(tmpdir(), 'medqa-problems-'));
    try {
      const file = path.join(dir, 'empty-records.jsonl');
      const fd = openSync(file, 'w');
      const block = '{}\n'.repeat(100_000);
      for (let i = 0; i < 10; i++) writeSync(fd, block);
      closeSync(fd);
      const result = spawnSync(
        process.execPath,
        [path.join(repoRoot, 'out', 'cli.js'), 'data', 'stats', file, '--json'],
        {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
        },
      );
      assert.equal(result.status, 0, result.stderr);
      assert.ok(result.stdout.length < 1_000_000, `--json is ${result.stdout.length} characters`);
      const stats = JSON.parse(result.stdout) as { errors: number; problems: { omitted?: number }[] };
      assert.equal(stats.errors, 1_000_000);
      assert.equal(stats.problems.length, MAX_PROBLEMS_PER_FILE + 1);
      assert.equal(stats.problems.at(-1)?.omitted, 999_000);
      assert.match(result.stderr, /… and 999980 more problems/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('caps repeated ids per file the same way', () => {
    const text = Array.from({ length: 3000 }, () => '{"id": "same", "question": "q", "answer": "a"}').join(
      '\n',
    );
    const { pairs } = readJsonl(text, 'dup.jsonl');
    const problems = makeIdsUnique(pairs);
    assert.equal(problems.length, MAX_PROBLEMS_PER_FILE + 1);
    assert.equal(countProblems(problems), 2999);
    assert.equal(new Set(pairs.map((p) => p.id)).size, 3000, 'every pair still gets its own id');
  });
});
