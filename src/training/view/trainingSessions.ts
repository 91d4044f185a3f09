import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { TRAINER_PROTOCOL_VERSION } from '../../protocol/trainer/events';
import { appendEvent } from '../../runs/eventLog';
import { isTrainerAlive } from '../../runs/liveness';
import { RUN_FILES, type RunInfo } from '../../runs/registry';
import { currentStep, formatLoss } from '../../runs/runState';
import { runDescription } from '../../runs/view/runItems';
import type { RunsFeature } from '../../runs/view/runsFeature';
import type { ExtensionServices } from '../../vscode/services';
import {
  DEFAULT_CANCEL_GRACE_MS,
  startTraining,
  TRAINER_LOG,
  type TrainingExit,
  type TrainingProcess,
} from '../launcher';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { signalProcessTree } from '../../util/process';
import { cancelSlurmRun } from '../slurmCancel';

const SLURM_CANCEL_GRACE_MS = 60_000;

interface Session {
  process: TrainingProcess;
  name: string;
}

/**
 * The trainers this window started: output to the log, a progress notification with Cancel, a status-bar item,
 * and a message when each ends. Cancel also reaches trainers started elsewhere, through their trainer.pid.
 */
export class TrainingSessions implements vscode.Disposable {
  private readonly sessions = new Map<string, Session>();
  private readonly statusBar = vscode.window.createStatusBarItem(
    'medqa.training',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly services: ExtensionServices,
    private readonly runs: RunsFeature,
    private readonly graceMs = DEFAULT_CANCEL_GRACE_MS,
  ) {
    this.statusBar.name = 'MedQA Training';
    this.subscription = runs.registry.onDidChange(() => this.updateStatusBar());
  }

  isRunning(runDir: string): boolean {
    return this.sessions.has(path.resolve(runDir));
  }

  get runningDirs(): string[] {
    return [...this.sessions.keys()];
  }

  /** Starts the trainer on `<runDir>/run.yaml`; resolves once the process runs (the run shows in the views at once). */
  async launch(
    python: string,
    runDir: string,
    configFile: string,
    /** A checkpoint folder to continue from (`--resume`). */
    resume?: string,
  ): Promise<TrainingProcess> {
    const dir = path.resolve(runDir);
    const name = path.basename(dir);
    const { log } = this.services;
    await this.runs.markActive(dir);
    let training: TrainingProcess;
    try {
      training = await startTraining({
        python,
        runDir: dir,
        configFile,
        resume,
        env: trainerEnv(this.services.context.extensionPath),
        graceMs: this.graceMs,
        logFile: path.join(dir, TRAINER_LOG),
        // stderr carries transformers' warnings and progress bars, not only errors: both go to the log as info.
        onOutput: (line) => log.info(`[${name}] ${line}`),
      });
    } catch (error) {
      await this.runs.markInactive(dir);
      throw error;
    }
    log.info(
      `[${name}] started trainer (PID ${training.pid}): ${python} -m medqa_trainer train --config ${configFile}` +
        (resume ? ` --resume ${resume}` : ''),
    );
    this.sessions.set(dir, { process: training, name });
    this.updateStatusBar();
    void this.showProgress(dir, name, training);
    void training.exited.then(async (exit) => {
      this.sessions.delete(dir);
      await this.runs.markInactive(dir);
      this.updateStatusBar();
      log.info(`[${name}] trainer exited (${exit.signal ?? `code ${exit.code}`})`);
      this.announce(dir, exit);
    });
    return training;
  }

  private showProgress(dir: string, name: string, training: TrainingProcess): Thenable<void> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MedQA: training ${name}`, cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const report = (run: RunInfo | undefined) => {
          if (!run) return;
          const total = run.progress.totalSteps;
          const percent = total ? Math.min(100, (100 * currentStep(run.progress)) / total) : 0;
          progress.report({ message: runDescription(run), increment: Math.max(0, percent - reported) });
          reported = Math.max(reported, percent);
        };
        const listener = this.runs.registry.onDidChange((changed) =>
          report(changed.find((r) => r.dir === dir)),
        );
        const cancel = token.onCancellationRequested(() => {
          progress.report({ message: 'cancelling: saving a checkpoint…' });
          void this.cancel(dir);
        });
        try {
          await training.exited;
        } finally {
          listener.dispose();
          cancel.dispose();
        }
      },
    );
  }

  private updateStatusBar(): void {
    const dirs = this.runningDirs;
    const run = dirs.length > 0 ? this.runs.registry.get(dirs[dirs.length - 1]) : undefined;
    if (!run) {
      this.statusBar.hide();
      return;
    }
    const more = dirs.length > 1 ? ` (+${dirs.length - 1})` : '';
    this.statusBar.text = `$(sync~spin) MedQA ${runDescription(run)}${more}`;
    this.statusBar.tooltip = `Training ${run.name}: click for its dashboard`;
    this.statusBar.command = {
      command: Commands.runsOpenDashboard,
      title: 'Open Run Dashboard',
      arguments: [run.dir],
    };
    this.statusBar.show();
  }

  private announce(dir: string, exit: TrainingExit): void {
    const run = this.runs.registry.get(dir);
    const name = path.basename(dir);
    const status = run?.status;
    if (status === 'finished') {
      const best = run?.progress.bestEvalLoss;
      void vscode.window
        .showInformationMessage(
          `MedQA: training ${name} finished${best != null ? ` (best eval loss ${formatLoss(best)})` : ''}.`,
          'Open Dashboard',
        )
        .then((choice) => choice && this.runs.openDashboard(dir));
    } else if (status === 'cancelled') {
      const checkpoint = run?.progress.cancelCheckpoint;
      void vscode.window.showInformationMessage(
        `MedQA: training ${name} cancelled at step ${run ? currentStep(run.progress) : '?'}` +
          (checkpoint
            ? `; checkpoint saved in ${path.basename(checkpoint)}.`
            : exit.signal === 'SIGKILL'
              ? ' (stopped with SIGKILL).'
              : '.'),
      );
    } else {
      const error = run?.progress.error ?? `exit code ${exit.code}`;
      const traceback = run?.progress.tracebackPath;
      const buttons = traceback ? ['Open Traceback', 'Show Log'] : ['Show Log'];
      void vscode.window
        .showErrorMessage(`MedQA: training ${name} failed: ${error}`, ...buttons)
        .then((choice) => {
          if (choice === 'Show Log') this.services.log.show();
          if (choice === 'Open Traceback' && traceback)
            void vscode.window.showTextDocument(vscode.Uri.file(traceback));
        });
    }
  }

  /**
   * SIGTERM (the trainer saves a checkpoint and reports `run_cancelled`), SIGKILL after the grace period.
   * Returns false when the run has no live trainer.
   */
  async cancel(runDir: string): Promise<boolean> {
    const dir = path.resolve(runDir);
    const session = this.sessions.get(dir);
    if (session) {
      this.services.log.info(
        `[${session.name}] cancelling (SIGTERM, SIGKILL after ${this.graceMs / 1000} s)`,
      );
      await session.process.cancel();
      return true;
    }
    return this.cancelExternal(dir);
  }

  /** A trainer started outside this window: signal the PID it recorded and its group (after checking it is a trainer). */
  private async cancelExternal(dir: string): Promise<boolean> {
    const run = await this.runs.registry.refreshRun(dir);
    if (run?.slurm && (run.status === 'running' || run.status === 'pending')) {
      // A Slurm job: scancel, not a PID (the trainer runs on a compute node).
      // A checkpoint written to shared storage can take longer than a local one; the wait ends when the job does.
      const graceMs = Math.max(this.graceMs, SLURM_CANCEL_GRACE_MS);
      await cancelSlurmRun(run, { graceMs, log: (line) => this.services.log.info(line) });
      await this.runs.registry.refreshRun(dir);
      return true;
    }
    const pid = run?.pid;
    if (!run || run.status !== 'running' || pid === undefined || !(await isTrainerAlive(pid))) return false;
    this.services.log.info(`[${run.name}] cancelling trainer PID ${pid} started outside this window`);
    signalProcessTree(pid, 'SIGTERM');
    const deadline = Date.now() + this.graceMs;
    while (Date.now() < deadline && (await isTrainerAlive(pid))) await new Promise((r) => setTimeout(r, 200));
    if (await isTrainerAlive(pid)) signalProcessTree(pid, 'SIGKILL');
    // The user asked for the stop: a trainer that died without saying so still reads as cancelled.
    const latest = await this.runs.registry.refreshRun(dir);
    if (latest && !latest.progress.terminal) {
      await appendEvent(path.join(dir, RUN_FILES.events), {
        v: TRAINER_PROTOCOL_VERSION,
        event: 'run_cancelled',
        time: new Date().toISOString(),
        step: currentStep(latest.progress),
        checkpoint: null,
      });
    }
    await this.runs.registry.refreshRun(dir);
    return true;
  }

  dispose(): void {
    // Trainers write to their run's trainer.log, not to a pipe into this window: closing the window leaves them
    // running, and the next window finds them through their trainer.pid like any run started elsewhere.
    for (const session of this.sessions.values()) session.process.detach();
    this.subscription.dispose();
    this.statusBar.dispose();
  }
}
