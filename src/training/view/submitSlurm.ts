import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSlurmJob } from '../../slurm/jobRecord';
import { runTrainerCommand } from '../../trainer/process';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { setting } from '../../vscode/settings';
import { resourcesFrom, submitArgs, type SlurmResources } from '../slurmSubmit';
import { prepareRun, type TrainCommandOptions } from './trainCommand';
import type { TrainingContext } from './trainingContext';

/** `medqa.training.submitSlurm`'s options: Train adapter's, plus sbatch options over the medqa.slurm.* settings. */
export interface SubmitSlurmOptions extends TrainCommandOptions {
  slurm?: Partial<SlurmResources>;
}

function settingsResources(): SlurmResources {
  return {
    partition: setting('slurm.partition'),
    account: setting('slurm.account'),
    time: setting('slurm.time'),
    nodes: setting('slurm.nodes'),
    gpusPerNode: setting('slurm.gpusPerNode'),
    cpusPerTask: setting('slurm.cpusPerTask'),
    mem: setting('slurm.mem'),
    extraArgs: setting('slurm.extraArgs').split(/\s+/).filter(Boolean),
    python: setting('slurm.python'),
  };
}

/** The error of a failed submit: sbatch's own lines as it wrote them (the trainer prints them unchanged). */
export class SlurmSubmitError extends Error {}

/**
 * "Train adapter: Submit to Slurm…": the Train adapter wizard (or options), run.yaml in the run folder, then
 * `python -m medqa_trainer submit --slurm` writes slurm.sbatch beside it and sbatches it. The run folder must be on
 * storage the compute nodes share: the Runs view follows the job's state and the trainer's events.jsonl there.
 */
export async function submitToSlurm(
  context: TrainingContext,
  options?: SubmitSlurmOptions,
): Promise<string | undefined> {
  const resources = resourcesFrom(settingsResources(), options?.slurm);
  const prepared = await prepareRun(context, options);
  if (!prepared) return undefined;
  const { python, runDir, configFile } = prepared;
  const { services, runs } = context;
  const name = path.basename(runDir);
  const args = submitArgs(configFile, resources);
  services.log.info(`[${name}] ${python} ${args.join(' ')}`);
  const result = await runTrainerCommand({
    python,
    args,
    env: trainerEnv(services.context.extensionPath),
    graceMs: 5_000,
    stderrLines: 40,
    onOutput: (line) => services.log.info(`[${name}] ${line}`),
  });
  const job = result.code === 0 ? await readSlurmJob(runDir) : undefined;
  if (!job) {
    const said = result.stderrTail.join('\n').trim();
    throw new SlurmSubmitError(
      `Submitting ${name} to Slurm failed: ${said || `the trainer exited with code ${result.code}`}`,
    );
  }
  if (!runs.registry.isInRunsDirectory(runDir)) await runs.track(runDir);
  await runs.refresh(runDir);
  services.log.info(`[${name}] submitted as Slurm job ${job.job_id}`);
  void vscode.window
    .showInformationMessage(`MedQA: ${name} submitted to Slurm as job ${job.job_id}.`, 'Open Dashboard')
    .then((choice) => choice && runs.openDashboard(runDir));
  return runDir;
}
