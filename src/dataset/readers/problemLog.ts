/**
 * A file's import problems, capped: a JSONL of a million `{}` lines is a million identical problems (1 GB of
 * `--json`), which helps no one. The first MAX_PROBLEMS_PER_FILE are kept; the rest are counted, and one more entry
 * says how many were left out (`omitted`), so the panel, the notification and `--json` report the true count.
 */
import type { ImportProblem } from '../model';

export const MAX_PROBLEMS_PER_FILE = 1000;

export class ProblemLog {
  private readonly kept: ImportProblem[] = [];
  private omitted = 0;
  private readonly omittedKinds = new Map<ImportProblem['kind'], number>();

  constructor(
    private readonly file: string,
    private readonly limit = MAX_PROBLEMS_PER_FILE,
  ) {}

  push(problem: ImportProblem): void {
    if (this.kept.length < this.limit) {
      this.kept.push(problem);
      return;
    }
    this.omitted++;
    this.omittedKinds.set(problem.kind, (this.omittedKinds.get(problem.kind) ?? 0) + 1);
  }

  /** The kept problems, and when some were left out, one entry that counts them. */
  list(): ImportProblem[] {
    if (this.omitted === 0) return this.kept;
    const kinds = [...this.omittedKinds].sort((a, b) => b[1] - a[1]);
    return [
      ...this.kept,
      {
        file: this.file,
        kind: kinds[0][0],
        message:
          `${this.omitted.toLocaleString('en-US')} more problems in this file are not listed (only the first ` +
          `${this.limit.toLocaleString('en-US')} are): ${kinds.map(([kind, n]) => `${n.toLocaleString('en-US')} ${kind}`).join(', ')}`,
        omitted: this.omitted,
      },
    ];
  }
}

/** How many problems a list stands for: an entry that counts left-out problems stands for that many. */
export function countProblems(problems: readonly ImportProblem[]): number {
  let total = 0;
  for (const problem of problems) total += problem.omitted ?? 1;
  return total;
}
