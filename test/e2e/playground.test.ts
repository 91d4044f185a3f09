import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pick, quickInput, webviewFrame } from './support/quickPick';
import { startWorkbenchWithTinyRun } from './support/tinyRun';
import { waitOrFail, checkpointsPane } from './support/until';
import { chooseFromContextMenu, type Workbench } from './support/workbench';

const RUN = 'tiny-run';
const CHECKPOINT = 'checkpoint-3';

describe('playground: a person exports a checkpoint to ONNX and asks both models a question', function () {
  this.timeout(600_000);
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbenchWithTinyRun(RUN);
  });

  after(async () => {
    await workbench?.stop();
  });

  it('exports from the Checkpoints view, streams base and fine-tuned answers, and saves them for grading', async () => {
    const { page, workspaceDir } = workbench;
    await workbench.openMedqaContainer();
    const checkpoints = checkpointsPane(page);
    const row = checkpoints.locator('.monaco-list-row', { hasText: CHECKPOINT }).first();
    await row.waitFor({ timeout: 60_000 });
    const started = Date.now();
    await chooseFromContextMenu(page, row, 'Export Checkpoint to ONNX');
    // The command asks for the weights first (fp32, int8 or int4); fp32 is the reference.
    await pick(page, 'Export to ONNX: weights', 'fp32');

    // The export shows under its checkpoint, marked ONNX, with its size.
    const onnxRow = checkpoints
      .locator('.monaco-list-row', { hasText: 'ONNX' })
      .filter({ hasText: /\d (kB|MB|GB)/ });
    const exported = checkpoints.locator('.monaco-list-row[aria-expanded]', { hasText: CHECKPOINT });
    await waitOrFail(page, exported, 300_000, 'Export Checkpoint to ONNX');
    if ((await exported.first().getAttribute('aria-expanded')) === 'false') await exported.first().click();
    await onnxRow.first().waitFor();
    console.log(
      `    exported the adapter and the base model in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    const adapterExport = path.join(workspaceDir, '.medqa', 'onnx', RUN, CHECKPOINT, 'medqa-onnx.json');
    assert.ok(existsSync(adapterExport), `${adapterExport} was written`);
    const manifest = JSON.parse(readFileSync(adapterExport, 'utf8')) as { adapter: string };
    assert.equal(path.basename(manifest.adapter), CHECKPOINT);
    assert.ok(
      existsSync(path.join(workspaceDir, '.medqa', 'onnx', 'base')),
      'the base model was exported too',
    );

    await chooseFromContextMenu(page, onnxRow.first(), 'Open Playground');
    const frame = webviewFrame(page);
    await frame
      .locator('#title', { hasText: `Playground · ${RUN} · ${CHECKPOINT}` })
      .waitFor({ timeout: 60_000 });
    await frame.locator('#problems').waitFor({ state: 'hidden' });

    // Watch both columns while they stream: their lengths and states as the app shows them.
    await frame.locator('#columns').evaluate((columns) => {
      const seen: Record<string, { lengths: number[]; states: string[] }> = {
        base: { lengths: [], states: [] },
        adapter: { lengths: [], states: [] },
      };
      (window as unknown as { medqaSeen: typeof seen }).medqaSeen = seen;
      const record = () => {
        for (const section of Array.from(columns.querySelectorAll<HTMLElement>('section.column'))) {
          const entry = seen[section.dataset.side ?? ''];
          const length = section.querySelector('.answer')?.textContent?.length ?? 0;
          const state = section.dataset.status ?? '';
          if (entry.lengths[entry.lengths.length - 1] !== length) entry.lengths.push(length);
          if (entry.states[entry.states.length - 1] !== state) entry.states.push(state);
        }
      };
      new MutationObserver(record).observe(columns, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    });

    await frame.locator('#question').fill('What are the symptoms of measles?');
    await frame.locator('#decoding-maxNewTokens').fill('12');
    await frame.locator('#decoding-temperature').fill('0');
    const asked = Date.now();
    await frame.locator('#ask').click();
    for (const side of ['base', 'adapter']) {
      const column = frame.locator(`section.column[data-side="${side}"]`);
      await column
        .and(frame.locator('[data-status="finished"], [data-status="error"]'))
        .waitFor({ timeout: 180_000 });
      if ((await column.getAttribute('data-status')) === 'error')
        throw new Error(`the ${side} column failed: ${await column.locator('.column-error').textContent()}`);
      const stats = (await column.locator('.stats').textContent()) ?? '';
      assert.match(stats, /tokens\/s · first token after \d+ ms · \d+ tokens/, `${side} shows its speed`);
    }
    console.log(`    both models answered in ${Math.round((Date.now() - asked) / 1000)} s`);
    const seen = await frame
      .locator('#columns')
      .evaluate(
        () =>
          (window as unknown as { medqaSeen: Record<string, { lengths: number[]; states: string[] }> })
            .medqaSeen,
      );
    for (const side of ['base', 'adapter']) {
      const { lengths, states } = seen[side];
      assert.ok(states.includes('generating'), `${side} streamed (states ${states.join(' → ')})`);
      const streamed = lengths.slice(lengths.lastIndexOf(0));
      assert.ok(
        streamed[streamed.length - 1] > 0,
        `${side} answered with some text (lengths ${lengths.join(', ')})`,
      );
      for (let i = 1; i < streamed.length; i++)
        assert.ok(
          streamed[i] >= streamed[i - 1],
          `${side} text only grew while streaming (${lengths.join(', ')})`,
        );
    }

    // Compare answers opens VS Code's diff editor on the two answers (read-only documents).
    await frame.locator('#compare-answers').click();
    await page
      .locator('.tab', { hasText: `Base model ↔ ${CHECKPOINT}` })
      .first()
      .waitFor();
    await page.locator('.monaco-diff-editor').first().waitFor();
    await page.locator('.tab', { hasText: 'MedQA Playground' }).first().click();

    await frame.locator('#save').click();
    await frame.locator('#saved', { hasText: /^Saved as playground-\d{8}-\d{6}/ }).waitFor();
    const saved = path.join(
      workspaceDir,
      '.medqa',
      'playground',
      `${RUN}-${CHECKPOINT}`,
      'evaluations',
      'playground',
    );
    for (const side of ['base', 'adapter']) {
      const lines = readFileSync(path.join(saved, side, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(lines.length, 1);
      const row = JSON.parse(lines[0]) as { question: string; prediction: string };
      assert.equal(row.question, 'What are the symptoms of measles?');
    }
    await workbench.screenshot('playground');

    // Grade Answers… lists the saved exchanges among the evaluations.
    await page.locator('.part.sidebar .composite.title').first().click();
    await page.keyboard.press('F1');
    const { widget, input } = await quickInput(page);
    await input.fill('>MedQA: Grade Answers');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: 'Grade Answers' }).first().click();
    await widget
      .locator('.quick-input-title', { hasText: 'Grade the answers of which evaluation?' })
      .waitFor();
    await widget
      .locator('.quick-input-list .monaco-list-row', { hasText: `${RUN}-${CHECKPOINT} · playground` })
      .first()
      .waitFor();
    await page.keyboard.press('Escape');
  });
});
