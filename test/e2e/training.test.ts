import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { writeTrainingExport } from '../support/trainingExport';
import { screenshotsDir, startWorkbench, type Workbench } from './support/workbench';

/** Values typed into the override input boxes, by field (the box's title names the field). */
const OVERRIDES: Record<string, string> = {
  max_length: '128',
  max_steps: '12',
  eval_steps: '4',
  save_steps: '4',
  logging_steps: '1',
};
const OVERRIDE_LABELS = ['Max length', 'Max steps', 'Eval every', 'Save every', 'Log every'];

async function quickInput(page: Page) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible' });
  return {
    widget,
    input: widget.locator('input.input').first(),
    title: widget.locator('.quick-input-title'),
  };
}

/** Filters the open quick pick and picks the row whose label contains `text`. */
async function pick(page: Page, stepTitle: RegExp, text: string): Promise<void> {
  const { widget, input, title } = await quickInput(page);
  await title.filter({ hasText: stepTitle }).waitFor();
  await input.fill(text);
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().click();
}

/** The dashboard's app frame (webviews are an iframe in an iframe). */
function dashboardFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

describe('training: a person trains an adapter from the command palette', function () {
  this.timeout(300_000);
  let workbench: Workbench;

  before(async () => {
    const tiny = process.env.MEDQA_TEST_TINY_MODEL;
    assert.ok(
      tiny && existsSync(path.join(tiny, 'config.json')),
      'MEDQA_TEST_TINY_MODEL must name the tiny model (./studio setup builds it)',
    );
    workbench = await startWorkbench();
    writeTrainingExport(path.join(workbench.workspaceDir, '.medqa', 'exports', 'e2e-export'));
  });

  after(async () => {
    await workbench?.stop();
  });

  it('walks through the Train adapter quick picks, watches the run finish and opens its loss chart', async () => {
    const { page } = workbench;
    const tiny = process.env.MEDQA_TEST_TINY_MODEL as string;
    await workbench.openMedqaContainer();
    await workbench.runCommand('MedQA: Train adapter');

    await pick(page, /1\/5/, 'e2e-export');
    await pick(page, /2\/5/, 'Enter a model folder or hub id');
    {
      const { input, title } = await quickInput(page);
      await title.filter({ hasText: /2\/5/ }).waitFor();
      await input.fill(tiny);
      await input.press('Enter');
    }
    await pick(page, /3\/5/, 'recommended');
    await workbench.screenshot('training-preset-picked');

    // Step 4: tick a few settings in the multi-select, then accept.
    {
      const { widget, input, title } = await quickInput(page);
      await title.filter({ hasText: /4\/5/ }).waitFor();
      for (const label of OVERRIDE_LABELS) {
        await input.fill(label);
        await widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
      }
      await input.fill('');
      await workbench.screenshot('training-overrides');
      await input.press('Enter');
    }
    for (let i = 0; i < OVERRIDE_LABELS.length; i++) {
      const { input, title } = await quickInput(page);
      await title.filter({ hasText: /4\/5\): (?!overrides).+\(\w+\)/ }).waitFor();
      const field = /\((\w+)\)\s*$/.exec((await title.textContent()) ?? '')?.[1] ?? '';
      assert.ok(OVERRIDES[field], `unexpected override box for "${field}"`);
      await input.fill(OVERRIDES[field]);
      await input.press('Enter');
      await title
        .filter({ hasText: new RegExp(`\\(${field}\\)`) })
        .waitFor({ state: 'detached' })
        .catch(() => undefined);
    }
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
      .locator('.monaco-list-row', { hasText: 'finished · step 12/12' })
      .first()
      .waitFor({ timeout: 180_000 });
    await workbench.screenshot('training-run-finished');

    // Clicking the run opens its dashboard; the loss chart has train and eval series.
    await runRow.click();
    const frame = dashboardFrame(page);
    await frame.locator('#run-status', { hasText: 'Finished' }).waitFor({ timeout: 60_000 });
    await frame.locator('#summary', { hasText: '12 / 12' }).waitFor();
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
