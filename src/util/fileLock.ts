/**
 * An inter-process lock around read-modify-write of one file, so that two windows (or a window and the CLI) that
 * both re-read, change and rewrite it cannot interleave and drop each other's change. The lock is a `<file>.lock`
 * directory (proper-lockfile: mkdir is atomic, also on network drives); its holder refreshes its mtime, so a lock left
 * by a crashed process goes stale and is taken over instead of blocking forever.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';

export interface FileLockOptions {
  /** A lock not refreshed for this long belongs to a dead process and is taken over (proper-lockfile's minimum is 2 s). */
  staleMs?: number;
  /** How long to wait for a live holder before giving up. Longer than staleMs, so one wait outlasts a dead holder. */
  waitMs?: number;
}

export const DEFAULT_STALE_MS = 10_000;
export const DEFAULT_WAIT_MS = 15_000;

/** The lock could not be taken in time: nothing was read or written. */
export class FileLockedError extends Error {
  constructor(
    readonly file: string,
    readonly lockPath: string,
    readonly waitedMs: number,
  ) {
    super(
      `${path.basename(file)} is being written by another window or process (its lock ${lockPath} was still held after ` +
        `${Math.round(waitedMs / 1000)} s). Nothing was changed; try again. If no other MedQA Studio window or command ` +
        `is running, delete that lock folder.`,
    );
  }
}

export function lockPathOf(file: string): string {
  return `${path.resolve(file)}.lock`;
}

/**
 * Runs `critical` while holding the lock on `file` (the file itself need not exist). `critical` gets `assertHeld`,
 * to call right before writing: it throws when the lock was lost meanwhile (the process stalled past staleMs and
 * another took over), so a write that could clobber the new holder's never happens.
 */
export async function withFileLock<T>(
  file: string,
  critical: (assertHeld: () => void) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const staleMs = Math.max(options.staleMs ?? DEFAULT_STALE_MS, 2_000);
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  await fs.mkdir(path.dirname(file), { recursive: true });
  let lost: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: staleMs,
      // Short first retries: a holder's critical section lasts milliseconds. Randomised so two waiters do not
      // wake in step; maxRetryTime bounds the whole wait.
      retries: {
        retries: Math.ceil(waitMs / 50) + 10,
        minTimeout: 5,
        maxTimeout: 100,
        factor: 1.5,
        randomize: true,
        maxRetryTime: waitMs,
      },
      // The default throws from a timer, which would crash the host; the write checks `lost` instead.
      onCompromised: (error) => {
        lost = error;
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new FileLockedError(file, lockPathOf(file), waitMs);
    }
    throw error;
  }
  const assertHeld = () => {
    if (lost) {
      throw new Error(
        `Lost the lock on ${path.basename(file)} (${lost.message}); nothing was written. Try again.`,
      );
    }
  };
  try {
    return await critical(assertHeld);
  } finally {
    // A lost lock is no longer ours to remove; anything else is released.
    await release().catch(() => undefined);
  }
}
