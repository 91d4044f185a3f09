import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pick, webviewFrame } from './support/quickPick';
import { startWorkbenchWithTinyRun } from './support/tinyRun';
import { waitOrFail, checkpointsPane } from './support/until';
import { chooseFromContextMenu, type Workbench } from './support/workbench';

const RUN = 'tiny-run';
const CHECKPOINT = 'checkpoint-3';

describe('playground on a quantised export: a person exports int4 weights and sees the speed', function () {
  this.timeout(1_500_000);
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbenchWithTinyRun(RUN);
  });

  after(async () => {
    await workbench?.stop();
  });

  it('exports the checkpoint as int4, opens the Playground on it, and both columns show tokens/s', async () => {
    const { page, workspaceDir } = workbench;
    await workbench.openMedqaContainer();
    const checkpoints = checkpointsPane(page);
    const row = checkpoints.locator('.monaco-list-row', { hasText: CHECKPOINT }).first();
    await row.waitFor({ timeout: 60_000 });
    await chooseFromContextMenu(page, row, 'Export Checkpoint to ONNX');
    await pick(page, 'Export to ONNX: weights', 'int4');

    const exported = checkpoints.locator('.monaco-list-row[aria-expanded]', { hasText: CHECKPOINT });
    const int4Row = checkpoints.locator('.monaco-list-row', { hasText: 'ONNX int4' });
    await waitOrFail(page, exported, 900_000, 'Export Checkpoint to ONNX (int4)');
    if ((await exported.first().getAttribute('aria-expanded')) === 'false') await exported.first().click();
    await waitOrFail(page, int4Row, 400_000, 'the int4 export under its checkpoint');
    const manifests = path.join(workspaceDir, '.medqa', 'onnx', RUN);
    const found = readdirManifests(manifests).map(
      (file) => JSON.parse(readFileSync(file, 'utf8')) as Manifest,
    );
    assert.ok(
      found.some((manifest) => manifest.quantization?.scheme === 'int4'),
      `an int4 manifest under ${manifests}`,
    );

    await chooseFromContextMenu(page, int4Row.first(), 'Open Playground');
    const frame = webviewFrame(page);
    await frame
      .locator('#title', { hasText: `Playground · ${RUN} · ${CHECKPOINT}` })
      .waitFor({ timeout: 60_000 });
    await frame.locator('#problems').waitFor({ state: 'hidden' });
    await frame.locator('#question').fill('What are the symptoms of glaucoma?');
    await frame.locator('#decoding-maxNewTokens').fill('12');
    await frame.locator('#decoding-temperature').fill('0');
    await frame.locator('#ask').click();
    for (const side of ['base', 'adapter']) {
      const column = frame.locator(`section.column[data-side="${side}"]`);
      await column
        .and(frame.locator('[data-status="finished"], [data-status="error"]'))
        .waitFor({ timeout: 180_000 });
      if ((await column.getAttribute('data-status')) === 'error')
        throw new Error(`the ${side} column failed: ${await column.locator('.column-error').textContent()}`);
      const stats = (await column.locator('.stats').textContent()) ?? '';
      const speed = /([\d.]+) tokens\/s · first token after \d+ ms · (\d+) tokens/.exec(stats);
      assert.ok(speed, `${side} shows its speed (stats: ${stats})`);
      assert.ok(Number(speed[1]) > 0, `${side} generated at ${speed[1]} tokens/s`);
      console.log(`    ${side} (int4): ${stats.trim()}`);
    }
    await workbench.screenshot('playground-int4');
  });
});

interface Manifest {
  quantization?: { scheme?: string } | null;
}

/** Every medqa-onnx.json under `dir` (the run's exports: fp32 and quantised, each in its own folder). */
function readdirManifests(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (folder: string, depth: number): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isFile() && entry.name === 'medqa-onnx.json') found.push(full);
      else if (entry.isDirectory() && depth < 3) walk(full, depth + 1);
    }
  };
  walk(dir, 0);
  return found;
}
