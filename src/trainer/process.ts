import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { cpuTicks, ProcessStartError, spawnGroup, terminateGroupWhenIdle } from '../util/process';
import { followFile, forwardLines } from './follow';
import { neutralDirectory } from './workingDirectory';

/**
 * The one process layer for every `python -m medqa_trainer <subcommand>` (train, evaluate, compare, models …):
 * argument arrays, its own process group, line-split output with a stderr tail, cancellation of the whole group.
 */
export function trainerArgs(subcommand: string, args: readonly string[] = []): string[] {
  return ['-m', 'medqa_trainer', subcommand, ...args];
}

export interface TrainerCommandOptions {
  python: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /**
   * Default: `neutralDirectory()`. Only tests pass another: on Python 3.10 (no PYTHONSAFEPATH) any module in this
   * folder can be imported by `python -m`, so it must be a folder only this user can write.
   */
  cwd?: string;
  /** How long a cancelled command may take to finish (save a checkpoint, write metrics) before SIGKILL. */
  graceMs: number;
  /** stderr lines kept for explaining a failure. */
  stderrLines?: number;
  /**
   * Write stdout and stderr to this file (appended) instead of pipes, and read it back as it grows. A process
   * writing to a file outlives the window that started it; one writing to a pipe dies of SIGPIPE/BrokenPipeError
   * on its next print once the window is closed. Its lines all count as stderr for the failure tail.
   */
  logFile?: string;
  /**
   * Keep stdin open as a pipe (`write`, `endInput`): long-lived servers such as `retrieve --serve` read requests
   * there. Default: no stdin, so a command that reads it sees end-of-file at once.
   */
  input?: boolean;
  /**
   * After a cancel, whether the process is still making progress (then SIGKILL waits another grace period).
   * Default: its CPU time rose or its log file grew since the last check.
   */
  stillWorking?: () => boolean | Promise<boolean>;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** cancel() was called before it ended. */
  cancelled: boolean;
  stderrTail: string[];
}

/** A running trainer subcommand. */
export class TrainerCommand {
  readonly exited: Promise<CommandExit>;
  private cancelRequested = false;
  private readonly tail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: TrainerCommandOptions,
    logStart: number,
  ) {
    const keep = options.stderrLines ?? 60;
    const onError = (line: string) => {
      this.tail.push(line);
      if (this.tail.length > keep) this.tail.shift();
      options.onOutput?.(line, 'stderr');
    };
    forwardLines(child.stdout, (line) => options.onOutput?.(line, 'stdout'));
    forwardLines(child.stderr, onError);
    // A write racing the process's exit fails with EPIPE; unhandled, that error would end the extension host.
    child.stdin?.on('error', () => undefined);
    const follow = options.logFile ? followFile(options.logFile, logStart, onError) : undefined;
    this.exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    ).then(async ({ code, signal }) => {
      await follow?.stop();
      return { code, signal, cancelled: this.cancelRequested, stderrTail: [...this.tail] };
    });
  }

  /** Resolves once the process runs; rejects with a ProcessStartError (e.g. no such interpreter). */
  static async start(options: TrainerCommandOptions): Promise<TrainerCommand> {
    let logFd: number | undefined;
    let logStart = 0;
    if (options.logFile) {
      mkdirSync(path.dirname(options.logFile), { recursive: true });
      logFd = openSync(options.logFile, 'a');
      logStart = (await fs.stat(options.logFile)).size;
    }
    try {
      const child = spawnGroup(options.python, options.args, {
        cwd: options.cwd ?? neutralDirectory(),
        // Python ≥ 3.11: neither the working directory nor the script's folder goes on sys.path.
        env: { ...options.env, PYTHONSAFEPATH: '1' },
        stdio: [
          options.input ? 'pipe' : 'ignore',
          ...(logFd === undefined ? (['pipe', 'pipe'] as const) : [logFd, logFd]),
        ],
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (error: NodeJS.ErrnoException) =>
          reject(new ProcessStartError(options.python, error)),
        );
      });
      return new TrainerCommand(child, options, logStart);
    } finally {
      // The child has its own copy of the descriptor.
      if (logFd !== undefined) closeSync(logFd);
    }
  }

  /** Writes to the process's stdin (started with `input: true`); false when it is closed or was never opened. */
  write(text: string): boolean {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return false;
    stdin.write(text);
    return true;
  }

  /** Closes stdin: a server reading requests from it sees end-of-file and exits on its own. */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** Stops waiting for the process without stopping it (the window is closing; a detached run goes on). */
  detach(): void {
    this.child.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get cancelling(): boolean {
    return this.cancelRequested;
  }

  get stderrTail(): readonly string[] {
    return this.tail;
  }

  /**
   * SIGTERM to the process group; SIGKILL once a grace period passes without progress (see `stillWorking`).
   * A second cancel kills at once. Resolves with how it ended.
   */
  async cancel(): Promise<CommandExit> {
    if (!this.running) return this.exited;
    if (this.termination) {
      this.termination.killNow();
      return this.exited;
    }
    this.cancelRequested = true;
    this.termination = terminateGroupWhenIdle(this.child, this.options.graceMs, this.stillWorking());
    await this.termination.done;
    return this.exited;
  }

  private termination: ReturnType<typeof terminateGroupWhenIdle> | undefined;

  private stillWorking(): () => boolean | Promise<boolean> {
    if (this.options.stillWorking) return this.options.stillWorking;
    let ticks = this.pid === undefined ? undefined : cpuTicks(this.pid);
    let logSize = this.options.logFile ? sizeOf(this.options.logFile) : undefined;
    return () => {
      const nowTicks = this.pid === undefined ? undefined : cpuTicks(this.pid);
      const nowLog = this.options.logFile ? sizeOf(this.options.logFile) : undefined;
      const progressed =
        (nowTicks !== undefined && ticks !== undefined && nowTicks > ticks) ||
        (nowLog !== undefined && nowLog !== logSize);
      ticks = nowTicks;
      logSize = nowLog;
      return progressed;
    };
  }
}

/** Runs a command to its end; an aborted signal cancels it (the group gets SIGTERM, then SIGKILL). */
export async function runTrainerCommand(
  options: TrainerCommandOptions & { signal?: AbortSignal },
): Promise<CommandExit> {
  if (options.signal?.aborted) return { code: null, signal: null, cancelled: true, stderrTail: [] };
  const command = await TrainerCommand.start(options);
  const onAbort = () => void command.cancel();
  // An abort while the process was starting has already fired: act on it now.
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await command.exited;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A trainer command's own explanation of its failure: from its last `error:` line (or traceback) to the end of
 * stderr, else its last lines, else how it ended.
 */
export function failureText(result: CommandExit): string {
  const tail = result.stderrTail;
  let start = -1;
  for (let i = tail.length - 1; i >= 0; i -= 1) {
    if (/^(error:|Traceback|\w*Error\b)/.test(tail[i])) {
      start = i;
      break;
    }
  }
  const lines = start >= 0 ? tail.slice(start) : tail.slice(-5);
  const why = result.signal ? `was killed (${result.signal})` : `exited with code ${result.code}`;
  return lines.length > 0 ? lines.join('\n').replace(/^error: /, '') : `the process ${why} without a message`;
}

/** The trainer's own explanation: its last line that reads like an error, else its last line. */
export function trainerMessage(lines: readonly string[]): string | undefined {
  const meaningful = lines.map((l) => l.trim()).filter(Boolean);
  const error = [...meaningful].reverse().find((l) => /error|cannot|failed|not found|no such/i.test(l));
  return error ?? meaningful[meaningful.length - 1];
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
