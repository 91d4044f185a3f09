import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTrainingExport } from '../support/trainingExport';
import { webviewFrame as dashboardFrame } from './support/quickPick';
import { trainFromPalette } from './support/trainWizard';
import { startWorkbench, type Workbench } from './support/workbench';
import { requireLocalSlurm } from '../support/slurm';

const SUBMIT = 'MedQA: Train adapter: Submit to Slurm…';

function slurm(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function lastEvent(runDir: string): Record<string, unknown> {
  const lines = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe('Slurm: a person submits runs to the local cluster from the palette', function () {
  this.timeout(420_000);
  let workbench: Workbench;
  let blocker: string | undefined;
  let source: string | undefined;
  const tiny = process.env.MEDQA_TEST_TINY_MODEL ?? '';

  before(async () => {
    requireLocalSlurm();
    assert.ok(tiny, 'MEDQA_TEST_TINY_MODEL must name the tiny model (./studio setup builds it)');
    // A workspace with settings, as a user sets them: a time limit, and quick polling for the test.
    source = mkdtempSync(path.join(os.tmpdir(), 'medqa-slurm-e2e-'));
    const folder = path.join(source, 'slurm-workspace');
    mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    writeFileSync(
      path.join(folder, '.vscode', 'settings.json'),
      JSON.stringify({ 'medqa.slurm.time': '15', 'medqa.slurm.pollSeconds': 1 }),
    );
    workbench = await startWorkbench({ workspace: folder });
    writeTrainingExport(path.join(workbench.workspaceDir, '.medqa', 'exports', 'e2e-export'));
  });

  after(async () => {
    if (blocker) spawnSync('scancel', [blocker]);
    await workbench?.stop();
    if (source) rmSync(source, { recursive: true, force: true });
  });

  it('follows a submitted run from pending through running to finished, in the Runs view and its dashboard', async () => {
    const { page } = workbench;
    // Another job holds the whole node, so ours waits in the queue as on a busy cluster.
    blocker = slurm('sbatch', [
      '--parsable',
      '--exclusive',
      '--job-name=medqa-e2e-blocker',
      '--output=/dev/null',
      '--wrap=sleep 600',
    ]);
    await workbench.openMedqaContainer();
    await trainFromPalette(workbench, {
      command: SUBMIT,
      exportName: 'e2e-export',
      model: tiny,
      preset: 'recommended',
      overrides: { max_steps: '2', eval_steps: '2', save_steps: '2', logging_steps: '1', max_length: '128' },
      outputDir: '.medqa/runs/slurm-finish',
    });
    const runDir = path.join(workbench.workspaceDir, '.medqa', 'runs', 'slurm-finish');
    const sidebar = page.locator('.sidebar');
    const row = sidebar.locator('.monaco-list-row', { hasText: 'slurm-finish' }).first();
    await row.filter({ hasText: /Slurm job \d+ · pending \(Resources\)/ }).waitFor({ timeout: 60_000 });
    const jobId = JSON.parse(readFileSync(path.join(runDir, 'slurm-job.json'), 'utf8')).job_id as string;
    assert.match(readFileSync(path.join(runDir, 'slurm.sbatch'), 'utf8'), /^#SBATCH --time=15$/m);
    await workbench.screenshot('slurm-runs-view-pending');

    await row.click();
    const frame = dashboardFrame(page);
    await frame.locator('#run-status', { hasText: 'Pending (queued on Slurm)' }).waitFor({ timeout: 60_000 });
    await frame.locator('#summary', { hasText: `${jobId} · PENDING` }).waitFor();
    await workbench.screenshot('slurm-dashboard-pending');

    slurm('scancel', [blocker]);
    blocker = undefined;
    await frame.locator('#run-status', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
    await workbench.screenshot('slurm-dashboard-running');
    await frame.locator('#run-status', { hasText: 'Finished' }).waitFor({ timeout: 240_000 });
    await frame.locator('#summary', { hasText: '2 / 2' }).waitFor();
    await frame.locator('#summary', { hasText: `${jobId} · COMPLETED` }).waitFor({ timeout: 30_000 });
    await workbench.screenshot('slurm-dashboard-finished');
    await row.filter({ hasText: `Slurm job ${jobId} · finished · step 2/2` }).waitFor();
    await workbench.screenshot('slurm-runs-view-finished');
    assert.equal(lastEvent(runDir).event, 'run_finished');
  });

  it('cancels a running Slurm run: the trainer gets SIGTERM in its job and saves a checkpoint', async () => {
    const { page } = workbench;
    if (blocker) slurm('scancel', [blocker]); // the first test failed before it released the node
    blocker = undefined;
    await trainFromPalette(workbench, {
      command: SUBMIT,
      exportName: 'e2e-export',
      model: tiny,
      preset: 'recommended',
      overrides: {
        max_steps: '2000',
        eval_steps: '1000',
        save_steps: '1000',
        logging_steps: '1',
        max_length: '128',
      },
      outputDir: '.medqa/runs/slurm-cancel',
    });
    const runDir = path.join(workbench.workspaceDir, '.medqa', 'runs', 'slurm-cancel');
    const sidebar = page.locator('.sidebar');
    const row = sidebar.locator('.monaco-list-row', { hasText: 'slurm-cancel' }).first();
    // Training: a logged step with its loss.
    await row.filter({ hasText: /Slurm job \d+ · step \d+\/2000 · loss/ }).waitFor({ timeout: 180_000 });
    await workbench.runCommand('MedQA: Cancel Training');
    await row.filter({ hasText: /Slurm job \d+ · cancelled · step \d+/ }).waitFor({ timeout: 120_000 });
    await workbench.screenshot('slurm-runs-view-cancelled');
    await row.click();
    await dashboardFrame(page).locator('#run-status', { hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });
    await workbench.screenshot('slurm-dashboard-cancelled');
    const last = lastEvent(runDir);
    assert.equal(last.event, 'run_cancelled');
    assert.match(String(last.checkpoint), /checkpoint-\d+$/, 'the trainer saved a checkpoint on SIGTERM');
  });
});
