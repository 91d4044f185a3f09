import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MedqaApi } from '../../../src/extension';
import type { RunsViewSnapshot } from '../../../src/runs/view/runsSnapshot';
import { writeTrainingExport } from '../../support/trainingExport';
import { activateMedqa, tinyModelDir, workspaceRoot } from '../support';
import { requireLocalSlurm } from '../../support/slurm';

type SnapshotRun = RunsViewSnapshot['runs'][number];

async function waitForRun(
  runDir: string,
  accept: (run: SnapshotRun) => boolean,
  what: string,
): Promise<SnapshotRun> {
  const deadline = Date.now() + 60_000;
  let last: SnapshotRun | undefined;
  while (Date.now() < deadline) {
    const snapshot = await vscode.commands.executeCommand<RunsViewSnapshot>('medqa.runs.refresh');
    last = snapshot?.runs.find((run) => run.dir === runDir);
    if (last && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

describe('Slurm: Submit to Slurm against the local cluster', function () {
  this.timeout(120_000);
  let workspace: string;
  let exportDir: string;
  let model: string;

  before(async () => {
    requireLocalSlurm();
    await activateMedqa();
    model = tinyModelDir();
    workspace = workspaceRoot();
    exportDir = writeTrainingExport(path.join(workspace, '.medqa', 'exports', 'slurm-integration'));
  });

  it("shows sbatch's own error when the cluster refuses the job, and records no job", async () => {
    const { commandErrors } = (await activateMedqa()).exports as MedqaApi;
    const shown = commandErrors.length;
    const outputDir = path.join('.medqa', 'runs', 'slurm-refused');
    const options = { exportDir, model, outputDir, slurm: { partition: 'no-such-partition' } };
    assert.equal(await vscode.commands.executeCommand('medqa.training.submitSlurm', options), undefined);
    assert.equal(commandErrors.length, shown + 1);
    const last = commandErrors[commandErrors.length - 1];
    assert.equal(last.command, 'medqa.training.submitSlurm');
    assert.equal(
      last.message,
      'MedQA: Submitting slurm-refused to Slurm failed: sbatch: error: invalid partition specified: no-such-partition\n' +
        'sbatch: error: Batch job submission failed: Invalid partition name specified',
    );
    assert.ok(existsSync(path.join(workspace, outputDir, 'slurm.sbatch')), 'the script stays for a look');
    assert.ok(!existsSync(path.join(workspace, outputDir, 'slurm-job.json')));
  });

  it('a held job shows as pending in the Runs view; Cancel Training cancels it and records run_cancelled', async () => {
    const options = {
      exportDir,
      model,
      outputDir: path.join('.medqa', 'runs', 'slurm-held'),
      overrides: { max_steps: 2, eval_steps: 2, save_steps: 2 },
      // Held in the queue until released: pending for as long as the test needs.
      slurm: { extraArgs: ['--hold'], time: '5' },
    };
    const runDir = await vscode.commands.executeCommand<string>('medqa.training.submitSlurm', options);
    assert.ok(runDir, 'submitSlurm returned no run folder');
    const { job_id: jobId } = JSON.parse(readFileSync(path.join(runDir, 'slurm-job.json'), 'utf8')) as {
      job_id: string;
    };
    assert.match(readFileSync(path.join(runDir, 'slurm.sbatch'), 'utf8'), /^#SBATCH --hold$/m);
    const pending = await waitForRun(runDir, (run) => run.status === 'pending', 'the held job as pending');
    assert.equal(pending.description, `Slurm job ${jobId} · pending (JobHeldUser)`);
    assert.equal(pending.contextValue, 'medqa.run.pending');
    assert.ok(
      pending.facts.some((fact) => fact.label === 'Slurm job' && fact.description === `${jobId} · PENDING`),
    );

    assert.equal(await vscode.commands.executeCommand('medqa.training.cancel', runDir), true);
    const cancelled = await waitForRun(runDir, (run) => run.status === 'cancelled', 'the cancelled run');
    assert.match(cancelled.description, new RegExp(`^Slurm job ${jobId} · cancelled`));
    const state = spawnSync('squeue', ['-h', '-t', 'all', '-j', jobId, '-o', '%T'], { encoding: 'utf8' });
    assert.equal(state.stdout.trim(), 'CANCELLED');
    const events = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').trim().split('\n');
    assert.equal((JSON.parse(events[events.length - 1]) as { event: string }).event, 'run_cancelled');
  });
});
