import type { ChildProcess } from 'node:child_process';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { ProcessStartError, spawnGroup, terminateGroup } from './process';

/**
 * The one process layer for every `python -m medqa_trainer <subcommand>` (train, evaluate, compare, models …):
 * argument arrays, its own process group, line-split output with a stderr tail, cancellation of the whole group.
 */
export function trainerArgs(subcommand: string, args: readonly string[] = []): string[] {
  return ['-m', 'medqa_trainer', subcommand, ...args];
}

/** Calls `onLine` per complete line; a line redrawn with `\r` (progress bars) keeps only its last state. */
export function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  const emit = (raw: string) => {
    const line = raw.slice(raw.lastIndexOf('\r', raw.length - 2) + 1).replace(/\r$/, '');
    if (line.trim()) onLine(line);
  };
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

/**
 * The working directory trainer processes start in: an empty folder only this user can write. A run folder (or a
 * shared workspace) as working directory would let a `transformers.py` placed there be imported by `python -m`.
 */
export function neutralDirectory(): string {
  const dir = path.join(os.tmpdir(), `medqa-trainer-cwd-${os.userInfo().uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface TrainerCommandOptions {
  python: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Default: `neutralDirectory()`. */
  cwd?: string;
  /** How long a cancelled command may take to finish (save a checkpoint, write metrics) before SIGKILL. */
  graceMs: number;
  /** stderr lines kept for explaining a failure. */
  stderrLines?: number;
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
  ) {
    const keep = options.stderrLines ?? 60;
    forwardLines(child.stdout, (line) => options.onOutput?.(line, 'stdout'));
    forwardLines(child.stderr, (line) => {
      this.tail.push(line);
      if (this.tail.length > keep) this.tail.shift();
      options.onOutput?.(line, 'stderr');
    });
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) =>
        resolve({ code, signal, cancelled: this.cancelRequested, stderrTail: [...this.tail] }),
      ),
    );
  }

  /** Resolves once the process runs; rejects with a ProcessStartError (e.g. no such interpreter). */
  static async start(options: TrainerCommandOptions): Promise<TrainerCommand> {
    const child = spawnGroup(options.python, options.args, {
      cwd: options.cwd ?? neutralDirectory(),
      // Python ≥ 3.11: neither the working directory nor the script's folder goes on sys.path.
      env: { ...options.env, PYTHONSAFEPATH: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(new ProcessStartError(options.python, error)),
      );
    });
    return new TrainerCommand(child, options);
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

  /** SIGTERM to the process group, SIGKILL after the grace period; resolves with how it ended. */
  async cancel(): Promise<CommandExit> {
    if (this.running && !this.cancelRequested) {
      this.cancelRequested = true;
      await terminateGroup(this.child, this.options.graceMs);
    }
    return this.exited;
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
