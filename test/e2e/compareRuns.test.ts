import * as assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fixturesDir } from '../support/paths';
import { quickInput, webviewFrame } from './support/quickPick';
import { until } from './support/until';
import { startWorkbench, type Workbench } from './support/workbench';

const RUNS = ['compare-lr-1e-4', 'compare-lr-3e-4'];

const EVALUATION = '20260115-101500';

describe('compare runs: a person compares two finished runs side by side', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let runDirs: string[];

  before(async () => {
    workbench = await startWorkbench();
    // Two short runs (fixtures in the trainer's layout) and an evaluation of the first, copied in before the
    // MedQA views open, as if they had been trained here.
    runDirs = RUNS.map((name) => path.join(workbench.workspaceDir, '.medqa', 'runs', name));
    RUNS.forEach((name, i) => cpSync(path.join(fixturesDir, 'runs', name), runDirs[i], { recursive: true }));
    cpSync(
      path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', EVALUATION),
      path.join(runDirs[0], 'evaluations', EVALUATION),
      { recursive: true },
    );
  });

  after(async () => {
    await workbench?.stop();
  });

  it('picks both runs in "Compare Runs" and sees their curves and the runs table', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    const sidebar = page.locator('.sidebar');
    for (const name of RUNS)
      await sidebar.locator('.monaco-list-row', { hasText: name }).first().waitFor({ timeout: 60_000 });

    // The palette command asks for the runs in a multi-select quick pick.
    await workbench.runCommand('MedQA: Compare Runs');
    const { widget, input, title } = await quickInput(page);
    await title.filter({ hasText: 'Compare runs' }).waitFor();
    for (const name of RUNS) {
      await input.fill(name);
      const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
      await row.click();
    }
    await input.fill('');
    await input.press('Enter');

    const frame = webviewFrame(page);
    await frame.locator('#title', { hasText: 'Compare 2 runs' }).waitFor({ timeout: 60_000 });
    await frame.locator('canvas#chart-compare').waitFor();
    const legend = frame.locator('#legend li');
    assert.equal(await legend.count(), 2);
    for (const name of RUNS) await legend.filter({ hasText: name }).waitFor();

    const rows = frame.locator('#runs-table tbody tr');
    assert.equal(await rows.count(), 2);
    const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run') ?? ''));
    assert.deepEqual(order.map((dir) => path.basename(dir)).sort(), RUNS);
    // Only the config fields that differ are columns; the evaluation's F1 (fine-tuned, 89.1) shows with its CI.
    const configColumns = await frame
      .locator('#runs-table th[data-column^="config:"]')
      .evaluateAll((ths) => ths.map((th) => th.getAttribute('data-column')));
    assert.deepEqual(configColumns, ['config:learning_rate', 'config:lora_r']);
    const first = rows.filter({ hasText: RUNS[0] });
    assert.match((await first.locator('td[data-column="metric:f1"]').textContent()) ?? '', /^89\.1 \[/);
    assert.equal(await first.locator('td[data-column="config:learning_rate"]').textContent(), '0.0001');

    // Sorting by best validation loss puts the 3e-4 run (1.418) first.
    await frame.locator('#runs-table th[data-column="bestEvalLoss"]').click();
    const sorted = await frame
      .locator('#runs-table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run') ?? ''));
    assert.deepEqual(
      sorted.map((dir) => path.basename(dir)),
      [RUNS[1], RUNS[0]],
    );

    // Tokens seen is estimated from tokens/s, and says so.
    await frame.locator('vscode-radio[value="tokens"]').click();
    await frame.locator('#tokens-note', { hasText: 'estimated' }).waitFor();
    // Smoothing: the host sends the smoothed curves back.
    await frame.locator('#smoothing').fill('0.6');
    await frame.locator('.legend-key', { hasText: 'smoothed' }).waitFor();
    await workbench.screenshot('compare-runs');

    // Zoom by dragging a box on the chart; the host then sends the points of that range. Reset shows all again.
    const box = await frame.locator('canvas#chart-compare').boundingBox();
    assert.ok(box, 'the chart has a size');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.8, { steps: 5 });
    await page.mouse.up();
    await frame.locator('#chart-hint', { hasText: 'Zoomed to tokens seen' }).waitFor();
    await workbench.screenshot('compare-runs-zoomed');
    await frame.locator('#reset-zoom').click();
    const hint = frame.locator('#chart-hint');
    await until(async () => !/Zoomed/.test((await hint.textContent()) ?? ''), 'the zoom was not reset');
  });

  it('exports the table to CSV, in the sort order shown', async () => {
    const { page } = workbench;
    await webviewFrame(page).locator('#export-csv').click();
    // code-server's save dialog is a quick input holding the proposed path (<workspace>/run-comparison.csv).
    const input = page.locator('.quick-input-widget input.input').first();
    await input.waitFor({ state: 'visible' });
    const csv = path.join(workbench.workspaceDir, 'run-comparison.csv');
    let proposed = '';
    for (let i = 0; i < 50 && !proposed.endsWith('run-comparison.csv'); i++) {
      proposed = await input.inputValue();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(path.resolve(proposed), csv, 'the save dialog proposes <workspace>/run-comparison.csv');
    await input.press('Enter');
    await until(async () => existsSync(csv), 'run-comparison.csv was not written');
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    assert.match(lines[0], /^run,status,folder,learning_rate,lora_r,best_val_loss,training_seconds,/);
    assert.equal(lines.length, 3, 'a header and one line per run');
    assert.match(lines[1], /^compare-lr-3e-4,finished,.*,0\.0003,8,1\.4183,/);
    assert.match(lines[2], /^compare-lr-1e-4,finished,.*,0\.0001,16,1\.4403,.*,89\.1/);
  });

  it('follows the runs live: new events in a compared run show without reopening', async () => {
    // The 3e-4 run is resumed by a trainer elsewhere that then dies (no PID file): its row turns Interrupted.
    const time = new Date().toISOString();
    const event = (fields: Record<string, unknown>) => JSON.stringify({ v: 1, time, ...fields }) + '\n';
    appendFileSync(
      path.join(runDirs[1], 'events.jsonl'),
      event({
        event: 'run_started',
        run_id: RUNS[1],
        output_dir: runDirs[1],
        config: { learning_rate: 0.0003, lora_r: 8, resumed: true },
        environment: { python: '3.11', torch: '2', device: 'cpu', qlora: false },
        total_steps: 60,
        resumed_from: 'checkpoint-40',
      }) +
        event({
          event: 'step',
          step: 42,
          epoch: 0.84,
          loss: 1.01,
          learning_rate: 1e-5,
          grad_norm: 1,
          tokens_per_second: 1600,
        }),
    );
    const row = webviewFrame(workbench.page).locator('#runs-table tbody tr', { hasText: RUNS[1] });
    await row.locator('.status', { hasText: 'Interrupted' }).waitFor({ timeout: 60_000 });
    // Its new config differs from the other run's in one more field.
    await webviewFrame(workbench.page).locator('#runs-table th[data-column="config:resumed"]').waitFor();
  });
});
