/**
 * Property test of the grade store against symbolic links (issue 22, adversary 3): whatever mix of links the
 * workspace's `.medqa`, `.medqa/grades` and `<grader>.jsonl` are (to a file or folder outside the workspace, to
 * another place inside it, relative or absolute, dangling, a link to a link) or other odd entries (a folder or a
 * FIFO named like a grade file), a grade is never written through a link, nothing outside `.medqa/grades` changes,
 * records outside it are never read, and a refusal says why. `npm run fuzz`; MEDQA_FUZZ_GRADE_RUNS and
 * MEDQA_FUZZ_SEED override the size and the seed.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { GradeStore, readGradeBook } from '../../src/grading/gradeFiles';
import { GRADES_DIR, type GradeRecord } from '../../src/grading/gradeStore';
import { FUZZ_SEED } from './importerChecks';

const runs = Number(process.env.MEDQA_FUZZ_GRADE_RUNS) || 1_000;
const seed = Number(process.env.MEDQA_FUZZ_SEED) || FUZZ_SEED;

type Entry = 'missing' | 'real' | 'link-outside' | 'link-inside' | 'dangling' | 'link-to-link' | 'odd';

interface Layout {
  medqa: Entry;
  grades: Entry;
  file: Entry;
  relative: boolean;
  trusted: boolean;
}

const entry = fc.constantFrom<Entry>(
  'missing',
  'real',
  'link-outside',
  'link-inside',
  'dangling',
  'link-to-link',
  'odd',
);
const layouts: fc.Arbitrary<Layout> = fc.record({
  medqa: entry,
  grades: entry,
  file: entry,
  relative: fc.boolean(),
  trusted: fc.boolean(),
});

const record: GradeRecord = {
  kind: 'grade',
  grader: 'alice',
  at: '2026-01-01T00:00:00Z',
  evaluation: 'e1',
  example: 'q-fuzz',
  run: 'run',
  checkpoint: 'adapter',
  side: 'adapter',
  decoding: 'd',
  prediction: 'p',
  grade: 3,
  flags: [],
  comment: '',
};

/** A grade line of alice's kept outside the workspace: reading it through a link would show example "outside". */
const outsideLine =
  JSON.stringify({ format: 'medqa-grade', version: 1, ...record, example: 'outside', grade: 1 }) + '\n';

/** Every entry under `dir` with its type and content (links as their target), to compare before and after. */
function snapshot(dir: string): string {
  const parts: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const stats = lstatSync(full);
      if (stats.isSymbolicLink()) parts.push(`${full} -> link`);
      else if (stats.isDirectory()) {
        parts.push(`${full}/`);
        walk(full);
      } else if (stats.isFile()) parts.push(`${full} = ${readFileSync(full, 'utf8')}`);
      else parts.push(`${full} (other)`);
    }
  };
  walk(dir);
  return parts.join('\n');
}

/** Makes `at` the given kind of entry; `folder`: what a real one is (a folder, else a file). */
function make(
  at: string,
  kind: Entry,
  folder: boolean,
  layout: Layout,
  places: Record<string, string>,
): void {
  const link = (target: string) =>
    symlinkSync(layout.relative ? path.relative(path.dirname(at), target) : target, at);
  switch (kind) {
    case 'missing':
      return;
    case 'real':
      if (folder) mkdirSync(at);
      else writeFileSync(at, '');
      return;
    case 'link-outside':
      return link(folder ? places.outsideDir : places.outsideFile);
    case 'link-inside':
      return link(folder ? places.insideDir : places.insideFile);
    case 'dangling':
      return link(path.join(places.outsideDir, 'not-there'));
    case 'link-to-link':
      return link(folder ? places.outsideDirLink : places.outsideFileLink);
    case 'odd':
      if (folder) writeFileSync(at, 'a file where a folder belongs\n');
      else if (spawnSync('mkfifo', [at]).status !== 0) mkdirSync(at);
      return;
  }
}

/** Whether `at` and every folder from `root` down to it is a real (not linked) entry. */
function realPath(root: string, at: string): boolean {
  let current = root;
  for (const part of path.relative(root, at).split(path.sep)) {
    current = path.join(current, part);
    if (lstatSync(current).isSymbolicLink()) return false;
  }
  return true;
}

/** The layout as made: what is under a missing or refused folder is not made. */
function effective(layout: Layout): string {
  const grades = layout.medqa === 'real' ? layout.grades : '-';
  const file = layout.medqa === 'real' && layout.grades === 'real' ? layout.file : '-';
  return `${layout.medqa}/${grades}/${file}`;
}

/** Checks one layout; returns whether the grade was written. */
async function check(layout: Layout, scratch: string): Promise<boolean> {
  const root = path.join(scratch, 'ws');
  const outside = path.join(scratch, 'outside');
  mkdirSync(path.join(root, 'other'), { recursive: true });
  mkdirSync(path.join(outside, 'dir'), { recursive: true });
  const places = {
    outsideDir: path.join(outside, 'dir'),
    outsideFile: path.join(outside, 'dir', 'alice.jsonl'),
    insideDir: path.join(root, 'other'),
    insideFile: path.join(root, 'other', 'alice.jsonl'),
    outsideDirLink: path.join(outside, 'dir-link'),
    outsideFileLink: path.join(outside, 'file-link'),
  };
  writeFileSync(places.outsideFile, outsideLine);
  writeFileSync(places.insideFile, outsideLine);
  symlinkSync(places.outsideDir, places.outsideDirLink);
  symlinkSync(places.outsideFile, places.outsideFileLink);
  const medqa = path.join(root, '.medqa');
  const gradesDir = path.join(root, GRADES_DIR);
  const file = path.join(gradesDir, 'alice.jsonl');
  make(medqa, layout.medqa, true, layout, places);
  if (layout.medqa === 'real') make(gradesDir, layout.grades, true, layout, places);
  if (layout.medqa === 'real' && layout.grades === 'real') make(file, layout.file, false, layout, places);

  const outsideBefore = snapshot(outside);
  const otherBefore = snapshot(path.join(root, 'other'));
  const what = JSON.stringify(layout);
  let error: Error | undefined;
  try {
    await new GradeStore(root, () => layout.trusted).append(record);
  } catch (caught) {
    error = caught as Error;
  }
  assert.equal(snapshot(outside), outsideBefore, `nothing outside the workspace changes: ${what}`);
  assert.equal(
    snapshot(path.join(root, 'other')),
    otherBefore,
    `nothing else in the workspace changes: ${what}`,
  );
  if (error) {
    assert.ok(!(error instanceof TypeError), `${what}: ${error.stack}`);
    assert.match(
      error.message,
      /untrusted workspace|symbolic link|not a folder|not a regular file/,
      `${what}: a refusal says why (${error.message})`,
    );
  } else {
    assert.ok(layout.trusted, `${what}: written in an untrusted workspace`);
    assert.ok(realPath(root, file), `${what}: written through a link`);
    assert.ok(lstatSync(file).isFile());
    assert.match(readFileSync(file, 'utf8'), /"example":"q-fuzz"/);
  }
  const book = await readGradeBook(gradesDir, root);
  const examples = [...(book.grades.get('alice')?.values() ?? [])].map((g) => g.example);
  assert.ok(!examples.includes('outside'), `${what}: a grade outside .medqa/grades was read`);
  return error === undefined;
}

describe(`grade store fuzz: ${runs} layouts of links, seed ${seed}`, function () {
  this.timeout(0);
  it('never writes through, or reads from, a symbolic link', async () => {
    let tried = 0;
    const written = new Set<string>();
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(layouts, async (layout) => {
        tried++;
        const scratch = mkdtempSync(path.join(tmpdir(), 'medqa-fuzz-grades-'));
        try {
          if (await check(layout, scratch)) written.add(effective(layout));
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      }),
      { numRuns: runs, seed },
    );
    console.log(
      `      fuzz grade store links: ${tried} layouts (seed ${seed}), written in ${[...written].sort().join(', ')}, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    // The only layouts a grade may land in: real or missing folders, and a grade file that is missing or real.
    const allowed = ['missing/-/-', 'real/missing/-', 'real/real/missing', 'real/real/real'];
    for (const layout of written) assert.ok(allowed.includes(layout), `written in ${layout}`);
    assert.ok(written.has('missing/-/-'), 'a grade is written where nothing is in the way');
  });
});
