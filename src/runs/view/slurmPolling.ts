import type * as vscode from 'vscode';
import { isJobActive } from '../../slurm/scheduler';
import { SlurmJobWatcher } from '../../slurm/jobWatcher';
import { setting } from '../../vscode/settings';
import type { RunInfo, RunRegistry } from '../registry';

/** A run whose job the scheduler may still change: not yet asked about, queued or running. */
function needsPolling(run: RunInfo): boolean {
  return run.slurm !== undefined && (run.slurm.state === undefined || isJobActive(run.slurm.state));
}

/**
 * Follows the Slurm jobs of submitted runs: every medqa.slurm.pollSeconds while one is queued or running (and at
 * once when a new one appears), squeue/sacct through the watcher; a run whose job changed state is refreshed, and
 * from then on its events.jsonl is followed like a local run's. A Slurm command's error goes to the log once.
 */
export function followSlurmJobs(
  context: vscode.ExtensionContext,
  registry: RunRegistry,
  watcher: SlurmJobWatcher,
  log: vscode.LogOutputChannel,
): void {
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let lastProblem: string | undefined;
  const poll = async () => {
    timer = undefined;
    const runs = registry.list().filter(needsPolling);
    if (runs.length === 0 || polling) return;
    polling = true;
    try {
      const changed = new Set(await watcher.poll(runs.map((run) => run.slurm?.jobId ?? '')));
      lastProblem = undefined;
      for (const run of runs) if (changed.has(run.slurm?.jobId ?? '')) await registry.refreshRun(run.dir);
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      if (problem !== lastProblem) log.warn(`Slurm: ${problem}`);
      lastProblem = problem;
    } finally {
      polling = false;
      schedule(Math.max(1, setting('slurm.pollSeconds')) * 1000);
    }
  };
  const schedule = (ms: number) => {
    if (timer) clearTimeout(timer);
    if (registry.list().some(needsPolling)) timer = setTimeout(() => void poll(), ms);
  };
  const listener = registry.onDidChange((changed) => {
    // A run just submitted (or first seen) with no state yet: ask now rather than at the next tick.
    if (changed.some((run) => run.slurm && run.slurm.state === undefined)) schedule(0);
    else if (!timer && !polling) schedule(Math.max(1, setting('slurm.pollSeconds')) * 1000);
  });
  context.subscriptions.push(listener, { dispose: () => timer && clearTimeout(timer) });
}
