import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TRAINER_PROTOCOL_VERSION } from '../protocol/trainer/events';
import { appendEvent, readAllEvents } from '../runs/eventLog';
import { readTrainerPid } from '../runs/liveness';
import { RUN_FILES } from '../runs/registry';
import { applyEvents, currentStep, emptyProgress } from '../runs/runState';
import { TrainerCommand, trainerArgs } from '../trainer/process';

export const DEFAULT_CANCEL_GRACE_MS = 10_000;
/** In the run folder: the trainer's stdout and stderr when the extension started it. */
export const TRAINER_LOG = 'trainer.log';

/** `python <these> …`: the trainer's command line (contract #2), as an argument array, never a shell string. */
export function trainArgs(configFile: string, options: { resume?: string; events?: string } = {}): string[] {
  const args = trainerArgs('train', ['--config', configFile]);
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
  /** The trainer's stdout and stderr go to this file (so it outlives the window), read back line by line. */
  logFile?: string;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface TrainingExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  /** The extension wrote the terminal event because the trainer could not (killed, or died before it could). */
  recordedOutcome?: 'run_cancelled' | 'run_failed';
}

/** A running trainer: its process group (the shared process layer), its run folder, and cancellation. */
export class TrainingProcess {
  readonly exited: Promise<TrainingExit>;

  constructor(
    private readonly command: TrainerCommand,
    readonly runDir: string,
  ) {
    this.exited = command.exited.then(({ code, signal }) => this.settle(code, signal));
  }

  get pid(): number | undefined {
    return this.command.pid;
  }

  get running(): boolean {
    return this.command.running;
  }

  get cancelling(): boolean {
    return this.command.cancelling;
  }

  /** The window is closing: the trainer runs on (it writes to its log file, not to us). */
  detach(): void {
    this.command.detach();
  }

  /** SIGTERM to the trainer's process group (it saves a checkpoint and reports `run_cancelled`), SIGKILL after the grace period. */
  async cancel(): Promise<TrainingExit> {
    await this.command.cancel();
    return this.exited;
  }

  /** Makes sure the run ends with a terminal event and no stale PID file, whatever happened to the trainer. */
  private async settle(code: number | null, signal: NodeJS.Signals | null): Promise<TrainingExit> {
    const exit: TrainingExit = { code, signal, cancelled: this.command.cancelling };
    const eventsFile = path.join(this.runDir, RUN_FILES.events);
    const progress = applyEvents(emptyProgress(), await readAllEvents(eventsFile));
    if (!progress.terminal) {
      const time = new Date().toISOString();
      if (this.command.cancelling) {
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
    if (this.command.pid !== undefined && (await readTrainerPid(this.runDir)) === this.command.pid) {
      await fs.rm(path.join(this.runDir, RUN_FILES.pid), { force: true });
    }
    return exit;
  }

  private describeFailure(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const lines = this.command.stderrTail.map((l) => l.trim()).filter(Boolean);
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
  const command = await TrainerCommand.start({
    python: options.python,
    args: trainArgs(options.configFile, { resume: options.resume }),
    cwd: options.cwd,
    env: options.env,
    graceMs: options.graceMs ?? DEFAULT_CANCEL_GRACE_MS,
    stderrLines: 30,
    logFile: options.logFile,
    onOutput: options.onOutput,
  });
  return new TrainingProcess(command, options.runDir);
}
