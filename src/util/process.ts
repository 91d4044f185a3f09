import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

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

/** SIGTERM to the whole group, then SIGKILL if it is still alive after `graceMs`. Resolves when it exits. */
export function terminateGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const pid = child.pid;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, signal);
    } catch {
      // Already gone.
    }
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    signalGroup('SIGTERM');
  });
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
