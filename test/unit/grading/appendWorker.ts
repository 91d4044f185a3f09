// A separate process appending grades, for the concurrent-writers test: `node appendWorker.js <dir> <grader> <tag> <n>`.
import { appendRecord } from '../../../src/grading/gradeFiles';
import type { GradeRecord } from '../../../src/grading/gradeStore';

async function main(): Promise<void> {
  const [dir, grader, tag, count] = process.argv.slice(2);
  for (let i = 0; i < Number(count); i += 1) {
    const record: GradeRecord = {
      kind: 'grade',
      grader,
      at: new Date().toISOString(),
      evaluation: 'concurrent',
      example: `${tag}-${i}`,
      run: 'run',
      checkpoint: 'adapter',
      side: 'adapter',
      decoding: 'd',
      prediction: 'p',
      grade: ((i % 4) + 1) as GradeRecord['grade'],
      flags: [],
      comment: `${tag} writes a comment long enough to make the line a few hundred bytes `.repeat(3),
    };
    await appendRecord(dir, record);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
