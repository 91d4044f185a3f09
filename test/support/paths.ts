import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root, found from the compiled test's location (out/test/...) or the source tree. */
export const repoRoot = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'trainer'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');

/** `../shared` beside the repository (override with MEDQA_SHARED). */
export const sharedDir = process.env.MEDQA_SHARED ?? path.resolve(repoRoot, '..', 'shared');

/**
 * Fails loudly (never skips silently) when `../shared` is missing, naming what to put where.
 * Call it in a `before` hook of every suite that needs the real tokenizer or MedQuAD.
 */
export function requireShared(relative: string): string {
  const full = path.join(sharedDir, relative);
  if (!existsSync(full)) {
    throw new Error(
      `This test needs ${full}, which is missing. Put the project's shared/ folder beside the repository ` +
        `(../shared, with data/MedQuAD and models/qwen3-tokenizer) or set MEDQA_SHARED to its path.`,
    );
  }
  return full;
}
