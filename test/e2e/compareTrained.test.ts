import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { requireEnv } from '../support/codeServer';
import { fixturesDir } from '../support/paths';
import { writeTrainingExport } from '../support/trainingExport';
import { quickInput, webviewFrame } from './support/quickPick';
import { until } from './support/until';
import { trainFromPalette } from './support/trainWizard';
import { startWorkbench, type Workbench } from './support/workbench';

/** Two short runs of the tiny random Qwen3 (seconds each on a CPU) that differ in the learning rate only. */
const RUNS = [
  { name: 'palette-lr-2e-4', learningRate: '0.0002' },
  { name: 'palette-lr-1e-3', learningRate: '0.001' },
];
const HF_RUN = 'hf-tiny-sft';

describe('compare runs: two runs trained from the palette and an imported Hugging Face run', function () {
  this.timeout(600_000);
  let workbench: Workbench;
  let hfDir: string;
  let tinyModel: string;

  before(async () => {
    tinyModel = requireEnv('MEDQA_TEST_TINY_MODEL', 'it names the tiny Qwen3 that ./studio setup builds');
    workbench = await startWorkbench();
    writeTrainingExport(path.join(workbench.workspaceDir, '.medqa', 'exports', 'compare-export'));
    // A folder the transformers Trainer wrote elsewhere (see trainer/tests/make_hf_run.py), outside the runs folder.
    hfDir = path.join(workbench.workspaceDir, 'hf-output', HF_RUN);
    cpSync(path.join(fixturesDir, 'hf-run'), hfDir, { recursive: true });
  });

  after(async () => {
    await workbench?.stop();
  });

  it('trains two runs from the palette at the same time, each to the end', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    const sidebar = page.locator('.sidebar');
    for (const run of RUNS) {
      await trainFromPalette(workbench, {
        exportName: 'compare-export',
        model: tinyModel,
        preset: 'recommended',
        overrides: {
          learning_rate: run.learningRate,
          max_length: '128',
          max_steps: '2',
          eval_steps: '1',
          save_steps: '2',
          logging_steps: '1',
          gradient_accumulation_steps: '1',
        },
        outputDir: `.medqa/runs/${run.name}`,
      });
    }
    // Both train at once (each its own trainer process), as a person starting two experiments would.
    for (const run of RUNS) {
      await sidebar
        .locator('.monaco-list-row', { hasText: run.name })
        .filter({ hasText: 'finished · step 2/2' })
        .first()
        .waitFor({ timeout: 300_000 });
    }
  });

  it('imports the Hugging Face run from the palette; its dashboard shows its logged steps', async () => {
    const { page } = workbench;
    await workbench.runCommand('MedQA: Import Hugging Face Run…');
    // code-server's folder dialog is a quick input holding a path. It first shows its default (the workspace
    // folder), and it reads a typed path asynchronously: Enter pressed before it has opened the typed folder accepts
    // the previous one. So: type the folder with a trailing slash, wait until the dialog lists that folder's own
    // entries (its checkpoints), and only then accept.
    const { input, widget } = await quickInput(page);
    await until(async () => (await input.inputValue()).length > 0, 'the folder dialog shows no path');
    // And the dialog's accept opens the list's active row instead of taking the typed path when a row is active
    // (code-server's SimpleFileDialog.onDidAccept): with ".." active it went up to the workspace folder, seen in a
    // CI run. So accept only with the typed folder listed and no row active; retyping clears a stray activation.
    const listed = widget.locator('.quick-input-list .monaco-list-row', { hasText: 'checkpoint-4' }).first();
    const active = widget.locator('.quick-input-list .monaco-list-row.focused');
    await until(async () => {
      await input.fill(`${hfDir}/`);
      await listed.waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300);
      return (await active.count()) === 0 && (await input.inputValue()) === `${hfDir}/`;
    }, 'the folder dialog keeps a row active or loses the typed folder');
    await input.press('Enter');
    const row = page.locator('.sidebar .monaco-list-row', { hasText: HF_RUN }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const frame = webviewFrame(page);
    await frame.locator('#run-name', { hasText: HF_RUN }).waitFor({ timeout: 60_000 });
    await frame.locator('#summary', { hasText: '8 / 8' }).waitFor();
    await frame.locator('#chart-loss').waitFor();
    await workbench.screenshot('compare-hf-run-dashboard');
    await page.keyboard.press('Control+W');
  });

  it('compares all three: the overlay and the runs table show each, and the CSV has their rows', async () => {
    const { page } = workbench;
    await workbench.runCommand('MedQA: Compare Runs');
    const { widget, input, title } = await quickInput(page);
    await title.filter({ hasText: 'Compare runs' }).waitFor();
    for (const name of [...RUNS.map((r) => r.name), HF_RUN]) {
      await input.fill(name);
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().click();
    }
    await input.fill('');
    await input.press('Enter');

    const frame = webviewFrame(page);
    await frame.locator('#title', { hasText: 'Compare 3 runs' }).waitFor({ timeout: 60_000 });
    await frame.locator('canvas#chart-compare').waitFor();
    const legend = frame.locator('#legend li');
    await until(async () => (await legend.count()) === 3, 'the chart legend does not list three runs');
    for (const name of [...RUNS.map((r) => r.name), HF_RUN]) await legend.filter({ hasText: name }).waitFor();

    const rows = frame.locator('#runs-table tbody tr');
    assert.equal(await rows.count(), 3);
    // The learning rate differs between the runs, so it is a column; each palette run shows its own value.
    for (const run of RUNS) {
      const row = rows.filter({ hasText: run.name });
      assert.equal(
        Number(await row.locator('td[data-column="config:learning_rate"]').textContent()),
        Number(run.learningRate),
      );
      assert.match((await row.locator('td[data-column="bestEvalLoss"]').textContent()) ?? '', /^\d+\.\d+$/);
    }
    // The imported run's validation curve came from its trainer_state.json: best 11.749 (shown 11.75) at step 8.
    assert.match(
      (await rows.filter({ hasText: HF_RUN }).locator('td[data-column="bestEvalLoss"]').textContent()) ?? '',
      /^11\.75$/,
    );
    await workbench.screenshot('compare-trained-runs');

    await frame.locator('#export-csv').click();
    const save = page.locator('.quick-input-widget input.input').first();
    await save.waitFor({ state: 'visible' });
    const csv = path.join(workbench.workspaceDir, 'run-comparison.csv');
    await until(async () => (await save.inputValue()).endsWith('run-comparison.csv'), 'no CSV path proposed');
    await save.press('Enter');
    await until(async () => existsSync(csv), 'run-comparison.csv was not written');
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines.length, 4, 'a header and one line per run');
    assert.match(lines[0], /^run,status,folder,.*learning_rate/);
    for (const run of RUNS) {
      const line = lines.find((l) => l.startsWith(`${run.name},finished,`));
      assert.ok(line, `no CSV line for ${run.name}: ${lines.join(' | ')}`);
    }
    assert.ok(
      lines.some((l) => l.startsWith(`${HF_RUN},`)),
      `no CSV line for the imported run: ${lines.join(' | ')}`,
    );
  });
});
