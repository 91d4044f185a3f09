import { querySlurmJobs, type SlurmJobStatus } from './scheduler';

/**
 * The last state the scheduler gave for each job we follow. A job the scheduler has forgotten (squeue keeps ended
 * jobs for MinJobAge, sacct needs an accounting database) keeps the state it was last seen in.
 */
export class SlurmJobWatcher {
  private readonly states = new Map<string, SlurmJobStatus>();

  constructor(
    private readonly query: (ids: readonly string[]) => Promise<Map<string, SlurmJobStatus>> = querySlurmJobs,
  ) {}

  readonly stateOf = (jobId: string): SlurmJobStatus | undefined => this.states.get(jobId);

  /** Asks about these jobs; returns those whose state changed. Rejects with the Slurm command's error. */
  async poll(jobIds: readonly string[]): Promise<string[]> {
    const answers = await this.query([...new Set(jobIds)]);
    const changed: string[] = [];
    for (const [id, status] of answers) {
      const before = this.states.get(id);
      if (before?.slurmState === status.slurmState && before.reason === status.reason) continue;
      this.states.set(id, status);
      changed.push(id);
    }
    return changed;
  }
}
