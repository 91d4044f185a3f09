import { lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A real directory (not a symlink) owned by `uid` that neither group nor others may write. */
export function isPrivateDirectory(dir: string, uid: number): boolean {
  try {
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return false;
    // Windows has no POSIX owner or mode bits; its %TEMP% is per user already.
    return process.platform === 'win32' || (stat.uid === uid && (stat.mode & 0o022) === 0);
  } catch {
    return false;
  }
}

const chosenDirectories = new Map<string, string>();

/**
 * The working directory trainer processes start in: an empty folder only this user can write. A run folder (or a
 * shared workspace) as working directory would let a `transformers.py` placed there be imported by `python -m`.
 * Python 3.11+ also gets PYTHONSAFEPATH; Python 3.10 (which the trainer supports) ignores it and puts the working
 * directory first on sys.path, so there this folder being private is the whole protection: on a shared /tmp
 * another user could create `medqa-trainer-cwd-<uid>` first, or a symlink of that name. Such a folder is never
 * used: a fresh private one (mkdtemp, mode 0700) is made instead.
 */
export function neutralDirectory(base: string = os.tmpdir(), uid: number = os.userInfo().uid): string {
  const known = chosenDirectories.get(base);
  if (known && isPrivateDirectory(known, uid)) return known;
  let dir = path.join(base, `medqa-trainer-cwd-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!isPrivateDirectory(dir, uid)) {
    dir = mkdtempSync(path.join(base, `medqa-trainer-cwd-${uid}-`));
    if (!isPrivateDirectory(dir, uid))
      throw new Error(`MedQA: ${dir} is not a private folder of this user; cannot start the trainer safely.`);
  }
  chosenDirectories.set(base, dir);
  return dir;
}
