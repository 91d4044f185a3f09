/**
 * `slurm-job.json`, which `python -m medqa_trainer submit --slurm run.yaml` writes into the run folder once sbatch
 * accepted the job (docs/protocol.md "Slurm jobs"), as a valibot schema. src/slurm/jobRecord.ts reads it with this.
 */
import * as v from 'valibot';

export const SLURM_JOB_FILE = 'slurm-job.json';
/** The batch script the trainer writes beside run.yaml (resubmit with `sbatch slurm.sbatch`). */
export const SLURM_SCRIPT_FILE = 'slurm.sbatch';

export const SlurmJobRecordSchema = v.object({
  job_id: v.pipe(v.string(), v.regex(/^\d+$/)),
  cluster: v.nullable(v.string()),
  submitted_at: v.string(),
  script: v.string(),
  /** The job's stdout and stderr, in the run folder (`slurm-<job id>.out`). */
  output: v.string(),
  resources: v.object({
    partition: v.string(),
    account: v.string(),
    time: v.string(),
    nodes: v.number(),
    gpus_per_node: v.number(),
    cpus_per_task: v.number(),
    mem: v.string(),
    extra_args: v.array(v.string()),
  }),
});

export type SlurmJobRecord = v.InferOutput<typeof SlurmJobRecordSchema>;
