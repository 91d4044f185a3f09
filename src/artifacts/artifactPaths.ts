import * as path from 'node:path';
import { COMPARISON_FILE, EVALUATION_FILE, EVALUATIONS_DIR, SIDES } from '../evaluation/evaluationFolder';
import { RETRIEVAL_COMPARISON_DIR, RETRIEVAL_SIDE_DIR } from '../evaluation/retrievalSide';

/** `child` is `parent` or lies below it. */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The folders of an evaluation that hold one evaluator's output (`metrics.json`, `predictions.jsonl`). */
const OUTPUT_DIRS = new Set<string>([...SIDES, RETRIEVAL_SIDE_DIR, RETRIEVAL_COMPARISON_DIR]);
const RECORD_FILES = new Set([EVALUATION_FILE, COMPARISON_FILE]);

/**
 * The evaluation folder a changed file belongs to, from the layout alone (the folder may be gone by now):
 * `<evaluation>/{base,adapter,retrieval,versus-retrieval}/<file>`, `<evaluation>/{evaluation,comparison}.json`,
 * anything under a folder being followed, or anything under `…/evaluations/<evaluation>/`.
 */
export function evaluationDirOfFile(file: string, followed: Iterable<string> = []): string | undefined {
  const resolved = path.resolve(file);
  const parent = path.dirname(resolved);
  if (OUTPUT_DIRS.has(path.basename(parent))) return path.dirname(parent);
  if (RECORD_FILES.has(path.basename(resolved))) return parent;
  for (const dir of followed) if (isWithin(dir, resolved)) return path.resolve(dir);
  const parts = resolved.split(path.sep);
  const at = parts.lastIndexOf(EVALUATIONS_DIR);
  return at >= 0 && at < parts.length - 1 ? parts.slice(0, at + 2).join(path.sep) : undefined;
}

/** The folders to watch: each given folder that no other one already holds. */
export function outermost(folders: Iterable<string | undefined>): string[] {
  const unique = [
    ...new Set([...folders].filter((f): f is string => Boolean(f)).map((f) => path.resolve(f))),
  ];
  return unique.filter((dir) => !unique.some((other) => other !== dir && isWithin(other, dir)));
}
