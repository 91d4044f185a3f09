import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class ProcessStartError extends Error {
  constructor(
    readonly command: string,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(
      cause.code === 'ENOENT'
        ? `${command} was not found. Install it or set its path in the settings.`
        : `${command} could not be started: ${cause.message}`,
    );
  }
}

/** Runs a program with an argument array (never through a shell) and collects its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(new ProcessStartError(command, error));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A program that exits without reading its input closes the pipe: EPIPE here is not a failure of the run.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Starts a long-running program in its own process group so that cancelling can reach its children
 * (dataloader workers, torchrun ranks) as well.
 */
export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(command, [...args], { ...options, shell: false, detached: process.platform !== 'win32' });
}

/**
 * CPU time a process and its reaped children have used, in clock ticks (Linux `/proc/<pid>/stat`); undefined
 * elsewhere or when it is gone. Rising CPU time tells a busy process from a stuck one.
 */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are 14–17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM to the group; SIGKILL only once a grace period passes in which the process made no progress
 * (`working()` false): a CPU step plus a checkpoint save can take minutes, and killing it loses the checkpoint.
 */
export function terminateGroupWhenIdle(
  child: ChildProcess,
  graceMs: number,
  working: () => boolean | Promise<boolean>,
): { done: Promise<void>; killNow(): void } {
  const pid = child.pid;
  if (child.exitCode !== null || child.signalCode !== null || pid === undefined)
    return { done: Promise.resolve(), killNow: () => undefined };
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, signal);
    } catch {
      // Already gone.
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    const check = async () => {
      if (await working()) timer = setTimeout(() => void check(), graceMs);
      else signalGroup('SIGKILL');
    };
    child.once('exit', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
    signalGroup('SIGTERM');
    timer = setTimeout(() => void check(), graceMs);
  });
  return {
    done,
    killNow: () => {
      if (timer) clearTimeout(timer);
      signalGroup('SIGKILL');
    },
  };
}

/**
 * Signals a process we did not start (a trainer from another window or a terminal) and, when it leads its own
 * process group (as trainers started by MedQA Studio do), the whole group, so its workers stop too.
 */
export function signalProcessTree(pid: number, signal: NodeJS.Signals): void {
  if (process.platform !== 'win32') {
    try {
      process.kill(-pid, signal);
      return;
    } catch {
      // Not a group leader: signal the process alone.
    }
  }
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
