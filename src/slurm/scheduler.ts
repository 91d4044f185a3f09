import { ProcessStartError, runProcess, type ProcessResult } from '../util/process';

/**
 * Slurm's client commands (squeue, sacct, scancel), always with argument arrays through the one process layer.
 * What a job's state means for a run: `pending` (queued, or allocated and booting), `running`, and the three ends.
 */
export type SlurmJobState = 'pending' | 'running' | 'finished' | 'failed' | 'cancelled';

export interface SlurmJobStatus {
  state: SlurmJobState;
  /** Slurm's own word: PENDING, RUNNING, COMPLETED, TIMEOUT, OUT_OF_MEMORY, … */
  slurmState: string;
  /** squeue's reason a pending job waits (Resources, Priority, …); absent when there is none. */
  reason?: string;
}

const STATES: Readonly<Record<string, SlurmJobState>> = {
  PENDING: 'pending',
  CONFIGURING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  RUNNING: 'running',
  COMPLETING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  RESIZING: 'running',
  COMPLETED: 'finished',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  PREEMPTED: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  OUT_OF_MEMORY: 'failed',
  SPECIAL_EXIT: 'failed',
};

/** Slurm's state word (sacct adds "by UID" to CANCELLED) as a run state; undefined for a word we do not know. */
export function jobStateOf(slurmState: string): SlurmJobState | undefined {
  return STATES[slurmState.trim().split(/\s+/)[0]?.toUpperCase() ?? ''];
}

export function isJobActive(state: SlurmJobState | undefined): boolean {
  return state === 'pending' || state === 'running';
}

/** Lines `ID|STATE|REASON` (squeue -o '%i|%T|%r') or `ID|STATE` (sacct -P -o JobIDRaw,State). */
export function parseJobLines(text: string): Map<string, SlurmJobStatus> {
  const jobs = new Map<string, SlurmJobStatus>();
  for (const line of text.split('\n')) {
    const [id, slurmState, reason] = line.trim().split('|');
    const state = slurmState === undefined ? undefined : jobStateOf(slurmState);
    if (!id || !/^\d+$/.test(id) || !state) continue;
    const waiting = reason && reason !== 'None' && state === 'pending' ? { reason } : {};
    jobs.set(id, { state, slurmState: slurmState.trim().split(/\s+/)[0], ...waiting });
  }
  return jobs;
}

export type CommandRunner = (command: string, args: readonly string[]) => Promise<ProcessResult>;

const defaultRunner: CommandRunner = (command, args) => runProcess(command, args, { timeoutMs: 30_000 });

/** A Slurm command failed: the message is the command's own error text. */
export class SlurmCommandError extends Error {}

async function run(runner: CommandRunner, command: string, args: readonly string[]): Promise<ProcessResult> {
  try {
    return await runner(command, args);
  } catch (error) {
    if (error instanceof ProcessStartError && error.cause.code === 'ENOENT') {
      throw new SlurmCommandError(
        `${command} is not on PATH: follow Slurm runs from a machine with the Slurm client, such as the ` +
          'cluster login node through VS Code Remote-SSH.',
      );
    }
    throw error;
  }
}

function errorText(command: string, result: ProcessResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' ');
  return text || `${command} exited with code ${result.code}`;
}

/**
 * The state of each job: squeue first (it knows queued, running and recently ended jobs), then sacct for the jobs
 * squeue has forgotten. A job neither knows (no accounting database, and older than MinJobAge) is left out.
 */
export async function querySlurmJobs(
  ids: readonly string[],
  runner: CommandRunner = defaultRunner,
): Promise<Map<string, SlurmJobStatus>> {
  if (ids.length === 0) return new Map();
  const list = ids.join(',');
  const queue = await run(runner, 'squeue', [
    '--noheader',
    '--states=all',
    `--jobs=${list}`,
    '--format=%i|%T|%r',
  ]);
  // squeue fails as a whole when none of the jobs is known any more; that is an answer, not an error.
  if (queue.code !== 0 && !/invalid job id/i.test(queue.stderr)) {
    throw new SlurmCommandError(`squeue: ${errorText('squeue', queue)}`);
  }
  const jobs = queue.code === 0 ? parseJobLines(queue.stdout) : new Map<string, SlurmJobStatus>();
  const missing = ids.filter((id) => !jobs.has(id));
  if (missing.length > 0) {
    const accounting = await run(runner, 'sacct', [
      '--noheader',
      '--allocations',
      '--parsable2',
      `--jobs=${missing.join(',')}`,
      '--format=JobIDRaw,State',
    ]);
    // Without slurmdbd, sacct answers "Slurm accounting storage is disabled": those jobs stay unknown.
    if (accounting.code === 0) for (const [id, job] of parseJobLines(accounting.stdout)) jobs.set(id, job);
  }
  return jobs;
}

/**
 * Cancel: a running job's steps get SIGTERM (`scancel --signal=TERM`, the batch script is left alone), so the
 * trainer that srun started saves a checkpoint and reports `run_cancelled`; `hard` (a pending job, or one that
 * outlived the grace period) cancels the job itself.
 */
export function scancelArgs(jobId: string, how: 'term' | 'hard'): string[] {
  return how === 'term' ? ['--signal=TERM', jobId] : [jobId];
}

export async function scancel(jobId: string, how: 'term' | 'hard', runner = defaultRunner): Promise<void> {
  const result = await run(runner, 'scancel', scancelArgs(jobId, how));
  if (result.code !== 0) throw new SlurmCommandError(`scancel: ${errorText('scancel', result)}`);
}
