import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { fixturesDir } from '../support/paths';
import { runCommandAndPick, webviewFrame } from './support/quickPick';
import { startWorkbenchWithTinyRun } from './support/tinyRun';
import { checkpointsPane } from './support/until';
import { chooseFromContextMenu, startWorkbench, type Workbench } from './support/workbench';

const EVALUATION = '20260115-101500';

const metricsFrame = webviewFrame;

async function qtypeOrder(frame: FrameLocator): Promise<string[]> {
  return frame
    .locator('#qtype-table tbody tr')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-qtype') ?? ''));
}

describe('evaluation: a person opens the Metrics panel of an evaluation', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let evaluationDir: string;

  before(async () => {
    workbench = await startWorkbench();
    // A finished evaluation in a run folder: the real evaluator's output for the fixture answers.
    const runDir = path.join(workbench.workspaceDir, '.medqa', 'runs', 'demo-run');
    evaluationDir = path.join(runDir, 'evaluations', EVALUATION);
    cpSync(path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', EVALUATION), evaluationDir, {
      recursive: true,
    });
  });

  after(async () => {
    await workbench?.stop();
  });

  it('shows base vs fine-tuned with intervals, a sortable per-qtype table and the hygiene warnings', async () => {
    const { page } = workbench;
    // The MedQA views being there means the extension's contributions (its commands) are registered.
    await workbench.openMedqaContainer();
    await runCommandAndPick(
      page,
      'MedQA: Show Metrics…',
      'Show which evaluation?',
      `demo-run · ${EVALUATION}`,
    );

    const frame = metricsFrame(page);
    const overall = frame.locator('#overall-table');
    await overall.waitFor({ timeout: 60_000 });
    await frame.locator('#title', { hasText: `demo-run · ${EVALUATION}` }).waitFor();
    assert.equal(await overall.locator('tbody tr').count(), 5, 'EM, F1, BLEU, ROUGE-L, METEOR');
    const f1 = overall.locator('tr[data-metric="f1"]');
    assert.match(
      (await f1.textContent()) ?? '',
      // 6 pairs: no p-value and no verdict, said in the p column (issue 22: fewer than 10 pairs).
      /Token F1 \(%\)13\.7\[.*\]89\.1\[.*\]\+75\.\d\+552%.*n < 10—/,
    );
    assert.match(
      (await overall.locator('caption').textContent()) ?? '',
      /Paired on 6 examples.*With fewer than 10 pairs there is no p-value and no verdict\./,
    );

    // Hygiene: the base model echoed a question, wrote a <think> block and one empty answer.
    const hygiene = frame.locator('#hygiene');
    await hygiene.getByText('3 of 6 answers look suspicious').waitFor();
    await hygiene.locator('li[data-flag="prompt_echo"]', { hasText: '9_CDC_QA/0000201/1' }).waitFor();
    await hygiene.getByText('no problems found in 6 answers').waitFor();

    // Sorting by clicking headers (default: n, largest first).
    assert.deepEqual((await qtypeOrder(frame))[0], 'information');
    await frame.locator('#qtype-table th[data-column="qtype"]').click();
    assert.deepEqual(await qtypeOrder(frame), [
      'causes',
      'information',
      'prevention',
      'symptoms',
      'treatment',
    ]);
    await frame.locator('#qtype-table th[data-column="qtype"]').click();
    assert.deepEqual(await qtypeOrder(frame), [
      'treatment',
      'symptoms',
      'prevention',
      'information',
      'causes',
    ]);
    assert.equal(
      await frame.locator('#qtype-table th[data-column="qtype"]').getAttribute('aria-sort'),
      'descending',
    );

    const file = await workbench.screenshot('evaluation-metrics-panel');
    assert.ok(readFileSync(file).length > 20_000, 'the screenshot looks empty');
  });

  it('exports the table to CSV through the save dialog', async () => {
    const { page } = workbench;
    await metricsFrame(page).locator('#export-csv').click();
    // code-server's save dialog is a quick input holding the proposed path (<evaluation>/metrics.csv).
    const input = page.locator('.quick-input-widget input.input').first();
    await input.waitFor({ state: 'visible' });
    // The dialog fills in the proposed file name a moment after it opens.
    const csv = path.join(evaluationDir, 'metrics.csv');
    let proposed = '';
    for (let i = 0; i < 50 && !proposed.endsWith('metrics.csv'); i++) {
      proposed = await input.inputValue();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(path.resolve(proposed), csv, 'the save dialog proposes <evaluation>/metrics.csv');
    await input.press('Enter');
    const deadline = Date.now() + 20_000;
    while (!existsSync(csv) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(existsSync(csv), 'metrics.csv was not written');
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    assert.match(lines[0], /^group,n,metric,base,/);
    assert.equal(lines.length, 1 + 5 + 5 * 5);
  });

  it('comes back after a window reload with the same evaluation and sort order', async () => {
    const { page } = workbench;
    const before = await qtypeOrder(metricsFrame(page));
    // The browser workbench saves its editor layout when idle, at most every 5 s (BROWSER_DEFAULT_FLUSH_INTERVAL);
    // its save during unload is not reliable. Give it that time, as a person would before reloading.
    await page.waitForTimeout(7000);
    await workbench.reload();
    const frame = metricsFrame(page);
    await frame.locator('#title', { hasText: `demo-run · ${EVALUATION}` }).waitFor({ timeout: 60_000 });
    await frame.locator('#qtype-table').waitFor();
    assert.deepEqual(await qtypeOrder(frame), before);
    await workbench.screenshot('evaluation-metrics-panel-after-reload');
  });
});

describe('evaluation: a person evaluates a checkpoint from the Checkpoints view', function () {
  this.timeout(300_000);
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbenchWithTinyRun('tiny-run');
  });

  after(async () => {
    await workbench?.stop();
  });

  it('right-clicks a checkpoint, picks the test split and quick settings, and gets the Metrics panel', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    const checkpoints = checkpointsPane(page);
    const row = checkpoints.locator('.monaco-list-row', { hasText: 'checkpoint-3' }).first();
    await row.waitFor({ timeout: 60_000 });
    await chooseFromContextMenu(page, row, 'Evaluate Checkpoint…');

    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('input.input').first();
    const title = widget.locator('.quick-input-title');
    const rowWith = (text: string) =>
      widget.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await title.filter({ hasText: 'Evaluate on which test split?' }).waitFor();
    // The export the run trained on comes first, marked as such.
    await widget
      .locator('.quick-input-list .monaco-list-row')
      .first()
      .filter({ hasText: 'the export this run trained on' })
      .waitFor();
    await rowWith('evaluation-fixture').click();

    await title.filter({ hasText: 'Evaluation settings' }).waitFor();
    // The batch size follows the engine while the user has not chosen one: 32 rows for onnxruntime, 8 for PyTorch.
    await rowWith('Batch size: 8').waitFor();
    for (const [engine, batch] of [
      ['ONNX Runtime', 'Batch size: 32'],
      ['PyTorch', 'Batch size: 8'],
    ]) {
      await rowWith('Engine:').click();
      await title.filter({ hasText: 'Generate the answers with' }).waitFor();
      await rowWith(engine).click();
      await title.filter({ hasText: 'Evaluation settings' }).waitFor();
      await rowWith(`Engine: ${engine}`).waitFor();
      await rowWith(batch).waitFor();
    }
    for (const [label, value] of [
      ['Max new tokens', '8'],
      ['Batch size', '4'],
      ['Limit', '4'],
    ]) {
      await rowWith(label).click();
      await widget
        .locator('.quick-input-title', { hasText: 'Evaluation settings' })
        .waitFor({ state: 'detached' })
        .catch(() => undefined);
      await input.fill(value);
      await input.press('Enter');
      await title.filter({ hasText: 'Evaluation settings' }).waitFor();
    }
    await rowWith('Limit: a sample of 4 examples').waitFor();
    await workbench.screenshot('evaluation-settings');
    await rowWith('Start evaluation').click();

    const frame = metricsFrame(page);
    await frame.locator('#title', { hasText: /^tiny-run · \d{8}-\d{6}$/ }).waitFor({ timeout: 240_000 });
    await frame.locator('#status', { hasText: 'Finished' }).waitFor({ timeout: 60_000 });
    await frame.locator('#overall-table tr[data-metric="perplexity"]').waitFor();
    assert.match((await frame.locator('#overall-table caption').textContent()) ?? '', /Paired on 4 examples/);
    await frame.locator('#facts', { hasText: 'checkpoint-3' }).waitFor();
    await workbench.screenshot('evaluation-after-evaluate-checkpoint');
  });
});
