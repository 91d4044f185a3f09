import * as path from 'node:path';
import { TRAINER_PROTOCOL_VERSION } from '../protocol/trainer/events';
import { appendEvent, readAllEvents } from '../runs/eventLog';
import { RUN_FILES, type RunInfo } from '../runs/registry';
import { applyEvents, currentStep, emptyProgress } from '../runs/runState';
import {
  isJobActive,
  querySlurmJobs,
  scancel,
  type CommandRunner,
  type SlurmJobStatus,
} from '../slurm/scheduler';

export interface SlurmCancelOptions {
  /** How long the trainer may take to save its checkpoint after SIGTERM before the job is cancelled outright. */
  graceMs: number;
  log: (message: string) => void;
  runner?: CommandRunner;
  /** Between looks at the job while it winds down. */
  pollMs?: number;
}

async function jobStatus(jobId: string, runner?: CommandRunner): Promise<SlurmJobStatus | undefined> {
  return (await querySlurmJobs([jobId], runner)).get(jobId);
}

/**
 * Cancels a Slurm run. A queued job is cancelled outright; a running one gets SIGTERM in its job step (the
 * trainer saves a checkpoint and reports `run_cancelled`), then `scancel` after the grace period if it still runs.
 * A run left without a closing event (queued, or killed) gets `run_cancelled` here, as a local cancel does.
 */
export async function cancelSlurmRun(run: RunInfo, options: SlurmCancelOptions): Promise<void> {
  const jobId = run.slurm?.jobId;
  if (!jobId) throw new Error(`${run.name} was not submitted to Slurm.`);
  const status = await jobStatus(jobId, options.runner);
  if (status?.state === 'running') {
    options.log(`[${run.name}] SIGTERM to Slurm job ${jobId}'s steps (scancel --signal=TERM)`);
    await scancel(jobId, 'term', options.runner);
    const deadline = Date.now() + options.graceMs;
    while (Date.now() < deadline && isJobActive((await jobStatus(jobId, options.runner))?.state)) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  }
  if (isJobActive((await jobStatus(jobId, options.runner))?.state)) {
    options.log(`[${run.name}] scancel ${jobId}`);
    await scancel(jobId, 'hard', options.runner);
  }
  const events = path.join(run.dir, RUN_FILES.events);
  const progress = applyEvents(emptyProgress(), await readAllEvents(events));
  if (!progress.terminal) {
    await appendEvent(events, {
      v: TRAINER_PROTOCOL_VERSION,
      event: 'run_cancelled',
      time: new Date().toISOString(),
      step: currentStep(progress),
      checkpoint: null,
    });
  }
}
