import * as path from 'node:path';
import type { RunStatus } from '../protocol/runStatus';
import { readSlurmJob } from '../slurm/jobRecord';
import type { SlurmJobState, SlurmJobStatus } from '../slurm/scheduler';
import type { RunProgress } from './runState';

/** A run submitted to Slurm (its slurm-job.json) and what the scheduler last said about the job. */
export interface RunSlurmJob {
  jobId: string;
  /** Undefined until the scheduler has been asked (or once it has forgotten the job). */
  state?: SlurmJobState;
  slurmState?: string;
  reason?: string;
  /** The job's stdout and stderr (`slurm-<id>.out` in the run folder). */
  outputFile: string;
}

export type SlurmStates = (jobId: string) => SlurmJobStatus | undefined;

export async function slurmJobOf(
  dir: string,
  states: SlurmStates | undefined,
): Promise<RunSlurmJob | undefined> {
  const record = await readSlurmJob(dir);
  if (!record) return undefined;
  const status = states?.(record.job_id);
  return {
    jobId: record.job_id,
    outputFile: path.join(dir, record.output),
    ...(status ? { state: status.state, slurmState: status.slurmState } : {}),
    ...(status?.reason ? { reason: status.reason } : {}),
  };
}

/**
 * A Slurm run's status: the trainer's closing event decides when there is one (a cancel the trainer saw ends as
 * `cancelled` though the job itself completes); before it, the scheduler: queued → pending, running → running,
 * and a job that ended without the trainer's closing event failed (or was cancelled) for a reason its output
 * file tells. Undefined when the scheduler has not answered: the caller falls back to the trainer's PID.
 */
export function slurmRunStatus(progress: RunProgress, job: RunSlurmJob): RunStatus | undefined {
  if (progress.terminal || !job.state) return undefined;
  if (job.state === 'pending' || job.state === 'running' || job.state === 'cancelled') return job.state;
  progress.error ??=
    `Slurm job ${job.jobId} ended (${job.slurmState ?? job.state}) before the trainer reported an outcome; ` +
    `see ${path.basename(job.outputFile)}.`;
  return 'failed';
}
