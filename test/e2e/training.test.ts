import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeTrainingExport } from '../support/trainingExport';
import { pick, quickInput, webviewFrame as dashboardFrame } from './support/quickPick';
import { fillOverrides } from './support/trainWizard';
import { screenshotsDir, startWorkbench, type Workbench } from './support/workbench';

/** Values typed into the override input boxes, by field (the box's title names the field). */
const OVERRIDES = {
  max_length: '128',
  max_steps: '4',
  eval_steps: '2',
  save_steps: '2',
  logging_steps: '1',
  gradient_accumulation_steps: '1',
};
const LOCAL_MODEL = 'smollm2-135m-instruct';

describe('training: a person trains an adapter from the command palette', function () {
  this.timeout(480_000);
  let workbench: Workbench;

  before(async () => {
    const models = process.env.MEDQA_MODELS_DIR;
    assert.ok(
      models && existsSync(path.join(models, LOCAL_MODEL, 'medqa-model.json')),
      `MEDQA_MODELS_DIR must hold the installed ${LOCAL_MODEL} (./studio setup installs it)`,
    );
    workbench = await startWorkbench();
    writeTrainingExport(path.join(workbench.workspaceDir, '.medqa', 'exports', 'e2e-export'));
  });

  after(async () => {
    await workbench?.stop();
  });

  it('trains the local SmolLM2 picked from the model list, watches the run finish and opens its loss chart', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    await workbench.runCommand('MedQA: Train adapter');

    await pick(page, /1\/5/, 'e2e-export');
    {
      // Local models come first, with their size and licence; the hub model says it needs internet.
      const { widget, title } = await quickInput(page);
      await title.filter({ hasText: /2\/5/ }).waitFor();
      const rows = widget.locator('.quick-input-list .monaco-list-row');
      await rows.first().waitFor();
      assert.match(
        (await rows.first().textContent()) ?? '',
        /smollm2-135m-instruct.*135 M parameters · Apache-2\.0/,
      );
      await rows.filter({ hasText: 'Qwen/Qwen3-0.6B' }).filter({ hasText: 'needs internet' }).waitFor();
      await workbench.screenshot('training-model-list');
    }
    await pick(page, /2\/5/, LOCAL_MODEL);
    await pick(page, /3\/5/, 'recommended');
    await workbench.screenshot('training-preset-picked');

    // Step 4: tick a few settings in the multi-select, then type their values.
    await fillOverrides(workbench, OVERRIDES);
    {
      const { input, title } = await quickInput(page);
      await title.filter({ hasText: /5\/5/ }).waitFor();
      assert.match(await input.inputValue(), /^\.medqa\/runs\/\d{8}-\d{6}-recommended$/);
      await input.press('Enter');
    }

    // The run appears in the Runs view while it trains, then ends as finished.
    const sidebar = page.locator('.sidebar');
    const runRow = sidebar.locator('.monaco-list-row', { hasText: /-recommended/ }).first();
    await runRow.waitFor({ timeout: 60_000 });
    await sidebar
      .locator('.monaco-list-row', { hasText: 'finished · step 4/4' })
      .first()
      .waitFor({ timeout: 300_000 });
    await workbench.screenshot('training-run-finished');

    // Clicking the run opens its dashboard; the loss chart has train and eval series.
    await runRow.click();
    const frame = dashboardFrame(page);
    await frame.locator('#run-status', { hasText: 'Finished' }).waitFor({ timeout: 60_000 });
    await frame.locator('#summary', { hasText: '4 / 4' }).waitFor();
    const config = readFileSync(
      path.join(
        workbench.workspaceDir,
        '.medqa',
        'runs',
        (await frame.locator('#run-name').textContent()) ?? '',
        'run.yaml',
      ),
      'utf8',
    );
    assert.match(config, /^model_name_or_path: "smollm2-135m-instruct"$/m);
    const chart = frame.locator('#chart-loss');
    await chart.waitFor();
    const lossChart = path.join(screenshotsDir, 'training-loss-chart.png');
    await chart.locator('xpath=ancestor::section[1]').screenshot({ path: lossChart });
    await workbench.screenshot('training-dashboard');
    assert.ok(readFileSync(lossChart).length > 5_000, 'the loss chart screenshot looks empty');
  });

  it('restores the dashboard on the same run after a window reload', async () => {
    const { page } = workbench;
    const name = await dashboardFrame(page).locator('#run-name').textContent();
    // As a person would: "Developer: Reload Window" saves the window's state (open editors) before reloading.
    await page.keyboard.press('F1');
    const { input } = await quickInput(page);
    await input.fill('>Developer: Reload Window');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: /^Developer: Reload Window/ })
      .first()
      .waitFor();
    await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), input.press('Enter')]);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await dashboardFrame(page)
      .locator('#run-name', { hasText: name ?? '' })
      .waitFor({ timeout: 60_000 });
    await dashboardFrame(page).locator('#run-status', { hasText: 'Finished' }).waitFor();
    await workbench.screenshot('training-dashboard-after-reload');
  });
});
