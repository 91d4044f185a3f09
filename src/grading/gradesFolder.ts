/**
 * Where grades may be read and written: only inside the workspace's `.medqa/grades` folder, through no symbolic
 * link (a folder on the way, or the grade file itself), and never from a FIFO that would block.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';

// O_NOFOLLOW does not exist on Windows; the lstat checks below cover the folders there.
export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// A FIFO named `x.jsonl` would block an open forever (for writing, until someone reads it); non-blocking, the open
// fails or the FIFO is then refused as not a regular file. It changes nothing for a regular file.
export const NONBLOCK = constants.O_NONBLOCK ?? 0;
export const SYMLINK_FIX =
  "grades are read and written only inside the workspace's .medqa/grades folder: replace the link with a real file or folder";

/**
 * Why `gradesDir` (under `root`) cannot hold grades, else undefined; with `create`, missing folders are made.
 * Each folder from `root` down is checked with lstat before it is used, so a `.medqa` or `grades` that is a link
 * to elsewhere is refused before anything is created through it.
 */
export async function gradesDirProblem(
  root: string,
  gradesDir: string,
  create: boolean,
): Promise<string | undefined> {
  const relative = path.relative(root, gradesDir);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return `${gradesDir} is not inside ${root}`;
  let current = root;
  for (const part of relative.split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    let stats: Stats | undefined;
    try {
      stats = await fs.lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (stats?.isSymbolicLink()) return `${current} is a symbolic link; ${SYMLINK_FIX}`;
    if (stats && !stats.isDirectory()) return `${current} is not a folder`;
    if (!stats) {
      if (!create) return undefined;
      try {
        await fs.mkdir(current);
      } catch (error) {
        // Another window made it in the meantime: checked again on the next step.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const again = await fs.lstat(current);
        if (again.isSymbolicLink() || !again.isDirectory())
          return `${current} is a symbolic link; ${SYMLINK_FIX}`;
      }
    }
  }
  return undefined;
}

export const isLinkError = (error: unknown) =>
  ['ELOOP', 'EMLINK'].includes((error as NodeJS.ErrnoException).code ?? '');
