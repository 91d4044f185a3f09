import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { TRAINER_PROTOCOL_VERSION } from '../protocol/trainerEvents';
import { appendEvent, readAllEvents } from '../runs/eventLog';
import { readTrainerPid } from '../runs/liveness';
import { RUN_FILES } from '../runs/registry';
import { applyEvents, currentStep, emptyProgress } from '../runs/runState';
import { ProcessStartError, spawnGroup, terminateGroup } from '../util/process';

export const DEFAULT_CANCEL_GRACE_MS = 10_000;

/** `python <these> …`: the trainer's command line (contract #2), as an argument array, never a shell string. */
export function trainArgs(configFile: string, options: { resume?: string; events?: string } = {}): string[] {
  const args = ['-m', 'medqa_trainer', 'train', '--config', configFile];
  if (options.resume) args.push('--resume', options.resume);
  if (options.events) args.push('--events', options.events);
  return args;
}

export interface LaunchOptions {
  python: string;
  runDir: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  resume?: string;
  /** How long a cancelled trainer may take to save its checkpoint before SIGKILL. */
  graceMs?: number;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface TrainingExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  /** The extension wrote the terminal event because the trainer could not (killed, or died before it could). */
  recordedOutcome?: 'run_cancelled' | 'run_failed';
}

/** Calls `onLine` per complete line; a line redrawn with `\r` (progress bars) keeps only its last state. */
function forwardLines(stream: Readable, onLine: (line: string) => void): void {
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

/** A running trainer: its process group, its run folder, and cancellation. */
export class TrainingProcess {
  readonly exited: Promise<TrainingExit>;
  private cancelRequested = false;
  private readonly stderrTail: string[] = [];

  constructor(
    private readonly child: ChildProcess,
    readonly runDir: string,
    private readonly graceMs: number,
    onOutput: LaunchOptions['onOutput'],
  ) {
    const output = (stream: 'stdout' | 'stderr') => (line: string) => {
      if (stream === 'stderr') {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 30) this.stderrTail.shift();
      }
      onOutput?.(line, stream);
    };
    if (child.stdout) forwardLines(child.stdout, output('stdout'));
    if (child.stderr) forwardLines(child.stderr, output('stderr'));
    this.exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    ).then(({ code, signal }) => this.settle(code, signal));
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

  /** SIGTERM to the trainer's process group (it saves a checkpoint and reports `run_cancelled`), SIGKILL after the grace period. */
  async cancel(): Promise<TrainingExit> {
    if (this.running && !this.cancelRequested) {
      this.cancelRequested = true;
      await terminateGroup(this.child, this.graceMs);
    }
    return this.exited;
  }

  /** Makes sure the run ends with a terminal event and no stale PID file, whatever happened to the trainer. */
  private async settle(code: number | null, signal: NodeJS.Signals | null): Promise<TrainingExit> {
    const exit: TrainingExit = { code, signal, cancelled: this.cancelRequested };
    const eventsFile = path.join(this.runDir, RUN_FILES.events);
    const progress = applyEvents(emptyProgress(), await readAllEvents(eventsFile));
    if (!progress.terminal) {
      const time = new Date().toISOString();
      if (this.cancelRequested) {
        await appendEvent(eventsFile, {
          v: TRAINER_PROTOCOL_VERSION,
          event: 'run_cancelled',
          time,
          step: currentStep(progress),
          checkpoint: null,
        });
        exit.recordedOutcome = 'run_cancelled';
      } else {
        const traceback = path.join(this.runDir, RUN_FILES.traceback);
        await appendEvent(eventsFile, {
          v: TRAINER_PROTOCOL_VERSION,
          event: 'run_failed',
          time,
          error: this.describeFailure(code, signal),
          traceback_path: existsSync(traceback) ? traceback : null,
        });
        exit.recordedOutcome = 'run_failed';
      }
    }
    if (this.child.pid !== undefined && (await readTrainerPid(this.runDir)) === this.child.pid) {
      await fs.rm(path.join(this.runDir, RUN_FILES.pid), { force: true });
    }
    return exit;
  }

  private describeFailure(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const lines = this.stderrTail.map((l) => l.trim()).filter(Boolean);
    const telling =
      [...lines].reverse().find((l) => /error|exception|denied|not found|no such/i.test(l)) ??
      lines[lines.length - 1];
    return telling ? `The trainer ${how}: ${telling}` : `The trainer ${how} without reporting an outcome.`;
  }
}

/**
 * Starts `python -m medqa_trainer train --config <run.yaml>` in its own process group. Resolves once the
 * process runs; rejects with a `ProcessStartError` (e.g. the interpreter does not exist).
 */
export async function startTraining(options: LaunchOptions): Promise<TrainingProcess> {
  await fs.mkdir(options.runDir, { recursive: true });
  const child = spawnGroup(options.python, trainArgs(options.configFile, { resume: options.resume }), {
    cwd: options.cwd ?? options.runDir,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ProcessStartError(options.python, error)),
    );
  });
  return new TrainingProcess(
    child,
    options.runDir,
    options.graceMs ?? DEFAULT_CANCEL_GRACE_MS,
    options.onOutput,
  );
}
