import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const PID_FILE = 'trainer.pid';

/** The PID the trainer recorded in `<run>/trainer.pid`, or undefined when there is none (or it is garbage). */
export async function readTrainerPid(runDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, PID_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether `pid` is a live trainer. Signal 0 tests existence (EPERM means it exists but belongs to someone else);
 * on Linux the command line must also name medqa_trainer, so a PID reused by an unrelated program after a
 * crash does not make a dead run look alive.
 */
/**
 * `python -m medqa_trainer …` or the `medqa-trainer` script: a PID file in a shared run folder must not make us
 * signal some other program whose arguments merely mention the name.
 */
export function isTrainerCommandLine(args: readonly string[]): boolean {
  const script = (arg: string | undefined) => /(^|\/)medqa-trainer$/.test(arg ?? '');
  return (
    args.some((arg, i) => arg === '-m' && args[i + 1] === 'medqa_trainer') ||
    script(args[0]) ||
    script(args[1])
  );
}

export async function isTrainerAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    // A zombie (exited, not yet reaped) has an empty command line: it is not running any more.
    return isTrainerCommandLine((await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0'));
  } catch {
    return false;
  }
}
