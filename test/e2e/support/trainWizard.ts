import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { OVERRIDABLE_FIELDS, type OverrideField } from '../../../src/training/trainConfig';
import { pick, quickInput } from './quickPick';
import type { Workbench } from './workbench';

/** Step 4 of Train adapter: ticks the given settings in the multi-select, then types each value in its box. */
export async function fillOverrides(
  workbench: Workbench,
  overrides: Partial<Record<OverrideField, string>>,
): Promise<void> {
  const { page } = workbench;
  const fields = Object.keys(overrides) as OverrideField[];
  {
    const { widget, input, title } = await quickInput(page);
    await title.filter({ hasText: /4\/5/ }).waitFor();
    for (const field of fields) {
      const label = OVERRIDABLE_FIELDS[field].label;
      await input.fill(label);
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click();
    }
    await input.fill('');
    await workbench.screenshot('training-overrides');
    await input.press('Enter');
  }
  // The boxes come one per ticked setting; each title names its field, e.g. "… (4/5): Max steps (max_steps)".
  for (let i = 0; i < fields.length; i++) {
    const { input, title } = await quickInput(page);
    await title.filter({ hasText: /4\/5\): (?!overrides).+\(\w+\)/ }).waitFor();
    const field = /\((\w+)\)\s*$/.exec((await title.textContent()) ?? '')?.[1] ?? '';
    const value = overrides[field as OverrideField];
    assert.ok(value !== undefined, `unexpected override box for "${field}"`);
    await input.fill(value);
    await input.press('Enter');
    await title
      .filter({ hasText: new RegExp(`\\(${field}\\)`) })
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
  }
}

export interface TrainChoices {
  exportName: string;
  /** Text of the model row (e.g. the catalogue name), or an absolute folder, typed in "Enter a model folder…". */
  model: string;
  preset: string;
  overrides: Partial<Record<OverrideField, string>>;
  /** Output folder relative to the workspace, e.g. `.medqa/runs/lr-2e-4`. */
  outputDir: string;
  /** The palette command that opens the wizard (default "MedQA: Train adapter"). */
  command?: string;
}

/** Drives "MedQA: Train adapter" through its five steps as a person does, and returns once the run started. */
export async function trainFromPalette(workbench: Workbench, choices: TrainChoices): Promise<void> {
  const { page } = workbench;
  await workbench.runCommand(choices.command ?? 'MedQA: Train adapter');
  await pick(page, /1\/5/, choices.exportName);
  if (path.isAbsolute(choices.model)) {
    await pick(page, /2\/5/, 'Enter a model folder or hub id');
    const { input, title } = await quickInput(page);
    await title.filter({ hasText: /2\/5/ }).waitFor();
    await input.fill(choices.model);
    await input.press('Enter');
  } else {
    await pick(page, /2\/5/, choices.model);
  }
  await pick(page, /3\/5/, choices.preset);
  await fillOverrides(workbench, choices.overrides);
  const { input, title } = await quickInput(page);
  await title.filter({ hasText: /5\/5/ }).waitFor();
  await input.fill(choices.outputDir);
  await input.press('Enter');
  await waitForQuickInputClosed(page);
}

async function waitForQuickInputClosed(page: Page): Promise<void> {
  await page
    .locator('.quick-input-widget')
    .filter({ visible: true })
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
}
