import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Whether a process with this PID still exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILL to the process group of the trainer still running in `runDir` (each runs in a group of its own): a failed
 * test must not leave its trainer running into the next tests (one trained on for 18 minutes of a CI run).
 */
export function endTrainer(runDir: string): void {
  const pidFile = path.join(runDir, 'trainer.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** endTrainer for every run in `runsDir`. */
export function endTrainers(runsDir: string): void {
  for (const run of existsSync(runsDir) ? readdirSync(runsDir) : []) endTrainer(path.join(runsDir, run));
}
