import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import { SLURM_JOB_FILE, SlurmJobRecordSchema, type SlurmJobRecord } from '../protocol/trainer/slurmJob';

/** The run's `slurm-job.json`: undefined when the run was not submitted to Slurm (or the file is not ours). */
export async function readSlurmJob(runDir: string): Promise<SlurmJobRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, SLURM_JOB_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = v.safeParse(SlurmJobRecordSchema, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
