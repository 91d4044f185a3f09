import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { fixturesDir } from '../support/paths';
import { startWorkbench, type Workbench } from './support/workbench';

const EVALUATION = '20260115-101500';

/** The Metrics panel's app frame (webviews are an iframe in an iframe). */
function metricsFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

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
    // The palette stays open for the command's own quick pick, so this does not use workbench.runCommand
    // (which waits for the palette to close).
    await page.keyboard.press('F1');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('input').first().fill('>MedQA: Show Metrics');
    await widget
      .locator('.quick-input-list .monaco-list-row', { hasText: 'MedQA: Show Metrics…' })
      .first()
      .click();
    await widget.locator('.quick-input-title', { hasText: 'Show which evaluation?' }).waitFor();
    await widget
      .locator('.quick-input-list .monaco-list-row', { hasText: `demo-run · ${EVALUATION}` })
      .first()
      .click();

    const frame = metricsFrame(page);
    const overall = frame.locator('#overall-table');
    await overall.waitFor({ timeout: 60_000 });
    await frame.locator('#title', { hasText: `demo-run · ${EVALUATION}` }).waitFor();
    assert.equal(await overall.locator('tbody tr').count(), 5, 'EM, F1, BLEU, ROUGE-L, METEOR');
    const f1 = overall.locator('tr[data-metric="f1"]');
    assert.match(
      (await f1.textContent()) ?? '',
      /Token F1 \(%\)13\.7\[.*\]89\.1\[.*\]\+75\.\d\+552%.*better/,
    );
    assert.match((await overall.locator('caption').textContent()) ?? '', /Paired on 6 examples/);

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
    await workbench.reload();
    const frame = metricsFrame(page);
    await frame.locator('#title', { hasText: `demo-run · ${EVALUATION}` }).waitFor({ timeout: 60_000 });
    await frame.locator('#qtype-table').waitFor();
    assert.deepEqual(await qtypeOrder(frame), before);
    await workbench.screenshot('evaluation-metrics-panel-after-reload');
  });
});
