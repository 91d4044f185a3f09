import * as assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendRecord, GradeFiles, GradeStore, readGradeBook } from '../../../src/grading/gradeFiles';
import {
  GRADES_DIR,
  gradeOf,
  textHash,
  type AnswerIdentity,
  type GradeRecord,
} from '../../../src/grading/gradeStore';
import { repoRoot } from '../../support/paths';

function identity(example: string): AnswerIdentity {
  return {
    example,
    run: 'run-a',
    checkpoint: 'checkpoint-40',
    side: 'adapter',
    decoding: 'abc123',
    prediction: textHash(`answer to ${example}`),
  };
}

function grade(grader: string, example: string, value: GradeRecord['grade']): GradeRecord {
  return {
    kind: 'grade',
    grader,
    at: '2026-01-01T00:00:00Z',
    evaluation: 'e1',
    ...identity(example),
    grade: value,
    flags: [],
    comment: '',
  };
}

const line = (record: GradeRecord) => JSON.stringify({ format: 'medqa-grade', version: 1, ...record }) + '\n';

/** `count` grades of one grader as file text (example q0…). */
function gradeLines(grader: string, count: number, value: GradeRecord['grade'] = 2): string {
  return Array.from({ length: count }, (_, i) => line(grade(grader, `q${i}`, value))).join('');
}

describe('grade files: links, trust and incremental reads', () => {
  let root: string;
  let outside: string;
  let gradesDir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-ws-'));
    outside = mkdtempSync(path.join(os.tmpdir(), 'medqa-outside-'));
    gradesDir = path.join(root, GRADES_DIR);
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  describe('symbolic links (adversary: a grade appended to a file outside the workspace)', () => {
    it('refuses a grade file linked outside the workspace and leaves the target as it was', async () => {
      mkdirSync(gradesDir, { recursive: true });
      const target = path.join(outside, 'notes.txt');
      writeFileSync(target, 'not grades\n');
      symlinkSync(target, path.join(gradesDir, 'alice.jsonl'));
      await assert.rejects(
        appendRecord(gradesDir, grade('alice', 'q1', 3), root),
        /not saved: .*alice\.jsonl is a symbolic link/,
      );
      assert.equal(readFileSync(target, 'utf8'), 'not grades\n');
      // Reading does not follow it either: its lines are not grades of this workspace.
      writeFileSync(target, line(grade('alice', 'q1', 4)));
      const book = await readGradeBook(gradesDir, root);
      assert.equal(gradeOf(book, 'alice', identity('q1')).current, undefined);
      assert.match(book.problems.join('\n'), /alice\.jsonl: is a symbolic link, not read/);
    });

    it('refuses a grades folder or a .medqa folder that is a link, creating nothing through it', async () => {
      mkdirSync(path.join(root, '.medqa'));
      symlinkSync(outside, gradesDir);
      await assert.rejects(
        appendRecord(gradesDir, grade('alice', 'q1', 3), root),
        /grades is a symbolic link/,
      );
      assert.equal(existsSync(path.join(outside, 'alice.jsonl')), false, 'nothing written through the link');
      writeFileSync(path.join(outside, 'bob.jsonl'), line(grade('bob', 'q1', 4)));
      let book = await readGradeBook(gradesDir, root);
      assert.deepEqual(book.graders, [], 'a linked grades folder is not read');
      assert.match(book.problems.join('\n'), /grades is a symbolic link/);

      rmSync(path.join(root, '.medqa'), { recursive: true });
      symlinkSync(outside, path.join(root, '.medqa'));
      await assert.rejects(
        appendRecord(gradesDir, grade('alice', 'q1', 3), root),
        /\.medqa is a symbolic link/,
      );
      assert.equal(existsSync(path.join(outside, 'grades')), false, 'no grades folder made outside');
      book = await readGradeBook(gradesDir, root);
      assert.deepEqual(book.graders, []);
    });

    it('writes and reads a real grades folder as before', async () => {
      await appendRecord(gradesDir, grade('alice', 'q1', 3), root);
      const book = await readGradeBook(gradesDir, root);
      assert.equal(gradeOf(book, 'alice', identity('q1')).current?.grade, 3);
      assert.deepEqual(book.problems, []);
    });
  });

  describe('workspace trust', () => {
    it('writes no grade in an untrusted workspace', async () => {
      const store = new GradeStore(root, () => false);
      await assert.rejects(store.append(grade('alice', 'q1', 3)), /untrusted workspace.*Trust this folder/);
      assert.equal(existsSync(path.join(root, '.medqa')), false);
      await new GradeStore(root, () => true).append(grade('alice', 'q1', 3));
      assert.ok(existsSync(path.join(gradesDir, 'alice.jsonl')));
    });

    it('makes medqa.grading.grader a restricted setting (a workspace cannot choose whose file is written)', () => {
      const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
        capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
      };
      assert.ok(
        manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('medqa.grading.grader'),
      );
    });
  });

  describe('incremental reads (adversary: a 50 MB grade file re-read after every grade)', () => {
    it('reads only the appended line after a grade, and nothing when nothing changed', async () => {
      mkdirSync(gradesDir, { recursive: true });
      const file = path.join(gradesDir, 'alice.jsonl');
      writeFileSync(file, gradeLines('alice', 3000));
      const size = statSync(file).size;
      const files = new GradeFiles(gradesDir, root);
      const first = await files.refresh();
      assert.equal(files.bytesRead, size);
      assert.equal(first.book.grades.get('alice')?.size, 3000);

      const appended = grade('alice', 'q7', 4);
      await appendRecord(gradesDir, appended, root);
      const before = files.bytesRead;
      const second = await files.refresh();
      assert.ok(second.changed);
      const read = files.bytesRead - before;
      assert.ok(
        read >= Buffer.byteLength(line(appended)) && read <= Buffer.byteLength(line(appended)) + 64,
        `read ${read} bytes for one appended line of ${Buffer.byteLength(line(appended))}`,
      );
      assert.equal(gradeOf(second.book, 'alice', identity('q7')).current?.grade, 4);
      assert.equal(gradeOf(second.book, 'alice', identity('q8')).current?.grade, 2);

      // The watcher's echo of that append: nothing new, nothing read, the same book.
      const third = await files.refresh();
      assert.equal(files.bytesRead - before, read);
      assert.equal(third.changed, false);
      assert.equal(third.book, second.book);
    });

    it('reads a file again whole when it shrank, was replaced or was rewritten in place', async () => {
      mkdirSync(gradesDir, { recursive: true });
      const file = path.join(gradesDir, 'alice.jsonl');
      writeFileSync(file, gradeLines('alice', 10, 2));
      const files = new GradeFiles(gradesDir, root);
      await files.refresh();

      writeFileSync(file, gradeLines('alice', 4, 2));
      let { book } = await files.refresh();
      assert.equal(book.grades.get('alice')?.size, 4, 'truncated: the removed grades are gone');

      const replacement = path.join(gradesDir, 'alice.tmp');
      writeFileSync(replacement, gradeLines('alice', 6, 3));
      renameSync(replacement, file);
      ({ book } = await files.refresh());
      assert.equal(gradeOf(book, 'alice', identity('q0')).current?.grade, 3, 'replaced (git checkout)');

      // Same inode, longer, different bytes where the last read stopped: not an append.
      writeFileSync(file, gradeLines('alice', 8, 1));
      ({ book } = await files.refresh());
      assert.equal(gradeOf(book, 'alice', identity('q0')).current?.grade, 1, 'rewritten in place');
      assert.equal(book.grades.get('alice')?.size, 8);

      unlinkSync(file);
      ({ book } = await files.refresh());
      assert.deepEqual(book.graders, [], 'deleted');
    });

    it('gives the same book as a whole read across a torn last line, a BOM and bad lines', async () => {
      mkdirSync(gradesDir, { recursive: true });
      const file = path.join(gradesDir, 'bob.jsonl');
      writeFileSync(file, '\uFEFF' + gradeLines('bob', 3) + 'garbage\n');
      const files = new GradeFiles(gradesDir, root);
      await files.refresh();
      appendFileSync(file, '{"format":"medqa-grade","version":1,"kind":"grade","grader":"bob","at":"2026');
      let { book } = await files.refresh();
      assert.deepEqual(book.problems, (await readGradeBook(gradesDir, root)).problems);
      assert.match(book.problems.join('\n'), /bob\.jsonl:5: the last line is incomplete/);

      await appendRecord(gradesDir, grade('bob', 'q9', 4), root);
      appendFileSync(file, line(grade('bob', 'q1', 1)));
      ({ book } = await files.refresh());
      const whole = await readGradeBook(gradesDir, root);
      assert.deepEqual(book.problems, whole.problems);
      assert.match(
        book.problems.join('\n'),
        /bob\.jsonl:4: not valid JSON.*\n.*bob\.jsonl:5: a record cut off/,
      );
      assert.deepEqual(
        [...(book.grades.get('bob')?.entries() ?? [])],
        [...(whole.grades.get('bob')?.entries() ?? [])],
      );
      assert.equal(gradeOf(book, 'bob', identity('q9')).current?.grade, 4);
      assert.equal(gradeOf(book, 'bob', identity('q1')).current?.grade, 1);
      assert.equal(gradeOf(book, 'bob', identity('q0')).current?.grade, 2, 'the BOM line is read');
    });
  });
});
