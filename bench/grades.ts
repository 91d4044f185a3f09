/**
 * Benchmark (issue 22, adversary 6): a grade written while a 50 MB grade file (about 150,000 grades) sits in
 * `.medqa/grades/`. Before, every grade re-read every grade file whole (2.2 s and 260 MB on the extension host's
 * thread), and the file watcher read it all again 150 ms later. Now the first read is whole, a chunk at a time; the
 * append and the watcher's echo read only what was appended. Targets: the read after an append < 20 ms and < 4 KB,
 * the echo reads nothing. The reference is the whole read, measured in the same run. `node out/bench/grades.js`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { appendRecord, GradeFiles } from '../src/grading/gradeFiles';
import { GRADES_DIR, type GradeRecord } from '../src/grading/gradeStore';
import { median, report, runIfMain, seconds } from './support';

const TARGET_BYTES = 50 * 1024 * 1024;
const TARGET_APPEND_MS = 20;
const TARGET_APPEND_BYTES = 4096;

function grade(i: number): GradeRecord {
  return {
    kind: 'grade',
    grader: 'alice',
    at: '2026-01-01T00:00:00.000Z',
    evaluation: 'eval-20260101-000000',
    example: `example-${i}`,
    run: 'smollm2-medquad-cpu-small',
    checkpoint: 'checkpoint-120',
    side: i % 2 ? 'base' : 'adapter',
    decoding: '0123456789abcdef',
    prediction: (i * 2_654_435_761).toString(16).padStart(16, '0').slice(0, 16),
    grade: ((i % 4) + 1) as GradeRecord['grade'],
    flags: i % 7 === 0 ? ['missing'] : [],
    comment: 'A comment of the length a careful grader writes about an answer. '.repeat(2),
  };
}

export async function benchGrades(): Promise<boolean> {
  const root = mkdtempSync(path.join(tmpdir(), 'medqa-bench-grades-'));
  try {
    const gradesDir = path.join(root, GRADES_DIR);
    mkdirSync(gradesDir, { recursive: true });
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < TARGET_BYTES; i++) {
      const line = JSON.stringify({ format: 'medqa-grade', version: 1, ...grade(i) }) + '\n';
      lines.push(line);
      bytes += line.length;
    }
    writeFileSync(path.join(gradesDir, 'alice.jsonl'), lines.join(''));

    const wholeMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await new GradeFiles(gradesDir, root).refresh();
      wholeMs.push(performance.now() - t0);
    }
    const files = new GradeFiles(gradesDir, root);
    await files.refresh();
    const appendMs: number[] = [];
    let appendBytes = 0;
    let echoBytes = 0;
    for (let i = 0; i < 20; i++) {
      await appendRecord(gradesDir, grade(lines.length + i), root);
      let before = files.bytesRead;
      const t0 = performance.now();
      const { changed } = await files.refresh();
      appendMs.push(performance.now() - t0);
      if (!changed) throw new Error('the appended grade was not seen');
      appendBytes = Math.max(appendBytes, files.bytesRead - before);
      before = files.bytesRead;
      await files.refresh();
      echoBytes = Math.max(echoBytes, files.bytesRead - before);
    }
    const whole = median(wholeMs);
    const append = median(appendMs);
    const ok = append < TARGET_APPEND_MS && appendBytes < TARGET_APPEND_BYTES && echoBytes === 0;
    return report(
      'grades',
      `${lines.length} grades, ${(bytes / 1024 / 1024).toFixed(0)} MB: read after an append ${append.toFixed(2)} ms ` +
        `(${appendBytes} bytes), watcher echo ${echoBytes} bytes, vs whole read ${seconds(whole)} → ` +
        `${(whole / append).toFixed(0)}x (targets < ${TARGET_APPEND_MS} ms, < ${TARGET_APPEND_BYTES} bytes, 0)`,
      ok,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

runIfMain('grades', benchGrades);
