import type { ChildProcess } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  promises as fs,
  statSync,
  watch,
  type FSWatcher,
} from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { cpuTicks, ProcessStartError, spawnGroup, terminateGroupWhenIdle } from './process';

/**
 * The one process layer for every `python -m medqa_trainer <subcommand>` (train, evaluate, compare, models …):
 * argument arrays, its own process group, line-split output with a stderr tail, cancellation of the whole group.
 */
export function trainerArgs(subcommand: string, args: readonly string[] = []): string[] {
  return ['-m', 'medqa_trainer', subcommand, ...args];
}

/** Calls `onLine` with a line's last state (progress bars redraw with `\r`), unless it is blank. */
function emitLine(raw: string, onLine: (line: string) => void): void {
  const line = raw.slice(raw.lastIndexOf('\r', raw.length - 2) + 1).replace(/\r$/, '');
  if (line.trim()) onLine(line);
}

/** Calls `onLine` per complete line; a line redrawn with `\r` (progress bars) keeps only its last state. */
export function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  const emit = (raw: string) => emitLine(raw, onLine);
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    lines.forEach(emit);
  });
  stream.on('end', () => {
    if (buffer) emit(buffer);
    buffer = '';
  });
}

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

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** Reads a growing text file from `start`, line by line, on file events; `stop()` reads what is left. */
function followFile(file: string, start: number, onLine: (line: string) => void): { stop(): Promise<void> } {
  let offset = start;
  let pending = '';
  const decoder = new StringDecoder('utf8');
  let reading = Promise.resolve();
  const emit = (raw: string) => emitLine(raw, onLine);
  const read = () => {
    reading = reading
      .then(async () => {
        const handle = await fs.open(file, 'r');
        try {
          const buffer = Buffer.alloc(64 * 1024);
          for (;;) {
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            const lines = (pending + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
            pending = lines.pop() ?? '';
            lines.forEach(emit);
          }
        } finally {
          await handle.close();
        }
      })
      .catch(() => undefined);
  };
  const unwatch = watchFile(file, read);
  return {
    async stop() {
      unwatch();
      read();
      await reading;
      if (pending) emit(pending);
      pending = '';
    },
  };
}

/**
 * Calls `onChange` when `file` is created or written (inotify/FSEvents through fs.watch on its folder, so a file
 * that does not exist yet is seen when it appears). No polling. Returns a function that stops watching.
 */
export function watchFile(file: string, onChange: () => void): () => void {
  const name = path.basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), (_event, changed) => {
      if (changed === null || changed === name) onChange();
    });
    watcher.on('error', () => undefined);
  } catch {
    // The folder does not exist (yet): the caller's final read still sees the outcome.
  }
  return () => watcher?.close();
}
