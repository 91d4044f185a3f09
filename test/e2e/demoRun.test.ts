import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { runCommandAndPick, webviewFrame } from './support/quickPick';
import { startWorkbench, type Workbench } from './support/workbench';

const RUN = 'smollm2-medquad-cpu-small';
const shippedRun = path.join(repoRoot, 'demo', '.medqa', 'runs', RUN);

interface ShippedComparison {
  n: number;
  metrics: Record<string, { base: number; candidate: number }>;
}

describe('demo: a newcomer opens the demo and finds a real SmolLM2 run', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let evaluation: string;
  let comparison: ShippedComparison;

  before(async () => {
    [evaluation] = readdirSync(path.join(shippedRun, 'evaluations'));
    comparison = JSON.parse(
      readFileSync(path.join(shippedRun, 'evaluations', evaluation, 'comparison.json'), 'utf8'),
    ) as ShippedComparison;
    workbench = await startWorkbench();
  });

  after(async () => {
    await workbench?.stop();
  });

  it('shows the shipped run as finished, with its loss curve', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    const sidebar = page.locator('.sidebar');
    const runRow = sidebar.locator('.monaco-list-row', { hasText: RUN }).first();
    await runRow.waitFor({ timeout: 60_000 });
    assert.match((await runRow.textContent()) ?? '', /finished/);
    await runRow.click();
    const frame = webviewFrame(page);
    await frame.locator('#run-status', { hasText: 'Finished' }).waitFor({ timeout: 60_000 });
    await frame.locator('#chart-loss').waitFor();
    // Its final adapter is listed in Checkpoints, ready to evaluate.
    await sidebar.locator('.monaco-list-row', { hasText: 'adapter' }).first().waitFor();
    await workbench.screenshot('demo-real-run-dashboard');
  });

  it('shows base vs fine-tuned metrics of the shipped evaluation', async () => {
    const { page } = workbench;
    await runCommandAndPick(page, 'MedQA: Show Metrics…', 'Show which evaluation?', `${RUN} · ${evaluation}`);
    const overall = webviewFrame(page).locator('#overall-table');
    await overall.waitFor({ timeout: 60_000 });
    assert.match(
      (await overall.locator('caption').textContent()) ?? '',
      new RegExp(`Paired on ${comparison.n} examples`),
    );
    const f1 = (await overall.locator('tr[data-metric="f1"]').textContent()) ?? '';
    const { base, candidate } = comparison.metrics.f1;
    assert.ok(f1.includes(base.toFixed(1)) && f1.includes(candidate.toFixed(1)), `F1 row: ${f1}`);
    await workbench.screenshot('demo-real-run-metrics');
  });
});
