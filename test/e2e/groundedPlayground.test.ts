// Issue 18, "where people look": a person builds the retrieval index from the palette, turns "Ground in dataset"
// on in the Playground, sees the numbered NIH sources both models were given, saves the grounded answers for
// grading and sees those sources beside the answers in the Grading panel.
//
// What the tiny model can show: its weights are random, so its answers never cite [n]. The sources list, the
// grounded prompt (the saved rows' `retrieved`) and the NIH link are checked on its real answers; the citation
// jump is checked on an answer that does cite: the test appends one saved exchange whose answer cites [2] and
// [1-3] (written here, labelled as such) and follows its citations in the Grading panel.
import * as assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { findImportCandidates } from '../../src/dataset/view/importCandidates';
import { focusWorkbench } from './support/gradingPanel';
import { pick, quickInput } from './support/quickPick';
import { startWorkbenchWithTinyRun } from './support/tinyRun';
import { waitOrFail, checkpointsPane } from './support/until';
import { chooseFromContextMenu, type Workbench } from './support/workbench';

const RUN = 'tiny-run';
const CHECKPOINT = 'checkpoint-3';

/** The visible webview's app (the Playground stays loaded, hidden, when the Grading panel opens over it). */
function visibleWebview(page: Page): FrameLocator {
  return page
    .locator('iframe.webview.ready')
    .filter({ visible: true })
    .first()
    .contentFrame()
    .frameLocator('iframe#active-frame');
}

/** A notification that there is no index yet fails this spec's waits too. */
const NO_INDEX = /no retrieval index/i;

interface Row {
  id: string;
  question: string;
  prediction: string;
  retrieved?: { n: number; id: string; url: string | null; question: string }[];
  cited?: number[];
}

describe('grounded answers: index from the palette, sources in the Playground and in grading', function () {
  this.timeout(600_000);
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbenchWithTinyRun(RUN);
  });

  after(async () => {
    await workbench?.stop();
  });

  it('builds the index, answers grounded with its sources listed, and shows them beside the saved answers', async () => {
    const { page, workspaceDir } = workbench;
    const started = Date.now();
    await workbench.openMedqaContainer();

    // The demo's MedQuAD folder imported from the welcome button (as the dataset spec does).
    const candidates = await findImportCandidates(workspaceDir);
    const dataset = candidates.find((c) => c.kind === 'folder' && c.subFolders >= 2) ?? candidates[0];
    assert.ok(dataset, `the demo workspace has no dataset folder: ${workspaceDir}`);
    await page.locator('.sidebar').getByRole('button', { name: 'Import Dataset…' }).first().click();
    const { widget } = await quickInput(page);
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: dataset.label }).first().click();
    await page
      .locator('.notifications-toasts', { hasText: /imported [\d,]+ pairs/ })
      .first()
      .waitFor({ timeout: 60_000 });
    // Export the checkpoint and open the Playground on it (as the playground spec does).
    const checkpoints = checkpointsPane(page);
    const row = checkpoints.locator('.monaco-list-row', { hasText: CHECKPOINT }).first();
    await row.waitFor({ timeout: 60_000 });
    await chooseFromContextMenu(page, row, 'Export Checkpoint to ONNX');
    // The command asks for the weights first (fp32, int8 or int4); fp32 is the reference.
    await pick(page, 'Export to ONNX: weights', 'fp32');
    const onnxRow = checkpoints
      .locator('.monaco-list-row', { hasText: 'ONNX' })
      .filter({ hasText: /\d (kB|MB|GB)/ });
    const exported = checkpoints.locator('.monaco-list-row[aria-expanded]', { hasText: CHECKPOINT });
    await waitOrFail(page, exported, 300_000, 'Export Checkpoint to ONNX', NO_INDEX);
    if ((await exported.first().getAttribute('aria-expanded')) === 'false') await exported.first().click();
    await onnxRow.first().waitFor();
    await chooseFromContextMenu(page, onnxRow.first(), 'Open Playground');
    let frame = visibleWebview(page);
    await frame
      .locator('#title', { hasText: `Playground · ${RUN} · ${CHECKPOINT}` })
      .waitFor({ timeout: 60_000 });

    // Without an index the switch says how to get one, with a button for the Build command.
    await frame.locator('#grounding-status', { hasText: 'No retrieval index in this workspace' }).waitFor();
    await frame.locator('#build-index').waitFor();

    // Build Retrieval Index from the palette, over all curated pairs; the open panel picks the index up.
    await focusWorkbench(page);
    await workbench.runCommand('MedQA: Build Retrieval Index…');
    await pick(page, 'Build Retrieval Index: which pairs?', 'All curated pairs');
    const manifest = path.join(workspaceDir, '.medqa', 'retrieval', 'all', 'manifest.json');
    await waitOrFail(
      page,
      page.locator('.notifications-toasts .notification-toast', { hasText: /retrieval index "all" built/ }),
      120_000,
      'Build Retrieval Index',
      NO_INDEX,
    );
    assert.ok(existsSync(manifest), 'the index was written under .medqa/retrieval/all');
    console.log(`    exported and index built after ${Math.round((Date.now() - started) / 1000)} s`);

    frame = visibleWebview(page);
    // The switch names the index; on, the question goes through it.
    await frame.locator('#grounding-status', { hasText: 'retrieval index "all"' }).waitFor();
    assert.ok(await frame.locator('#build-index').isHidden(), 'no "Build" button once an index exists');
    await frame.locator('#grounding').check();
    await frame.locator('#grounding-status', { hasText: /^Questions go through/ }).waitFor();
    const question = 'What are the symptoms of breast cancer?';
    await frame.locator('#question').fill(question);
    await frame.locator('#decoding-maxNewTokens').fill('8');
    await frame.locator('#decoding-temperature').fill('0');
    await frame.locator('#ask').click();
    const sources = frame.locator('#sources li.source');
    await waitOrFail(page, sources.first(), 120_000, 'grounded question', NO_INDEX);
    const count = await sources.count();
    assert.ok(count >= 1 && count <= 3, `1 to 3 sources listed (k=3), got ${count}`);
    for (let n = 1; n <= count; n++) {
      const item = frame.locator(`#source-${n}`);
      assert.match((await item.locator('.source-n').textContent()) ?? '', new RegExp(`^\\[${n}\\]$`));
      assert.ok(((await item.locator('.source-question').textContent()) ?? '').trim().length > 0);
    }
    await frame.locator('#sources-note', { hasText: question }).waitFor();
    for (const side of ['base', 'adapter']) {
      const column = frame.locator(`section.column[data-side="${side}"]`);
      await column
        .and(frame.locator('[data-status="finished"], [data-status="error"]'))
        .waitFor({ timeout: 180_000 });
      if ((await column.getAttribute('data-status')) === 'error')
        throw new Error(`the ${side} column failed: ${await column.locator('.column-error').textContent()}`);
    }
    await workbench.screenshot('grounded-playground');

    // A source's NIH link goes to the host, which opens it outside (VS Code asks first for a new site).
    const link = frame.locator('#sources a.source-link').first();
    if ((await link.count()) > 0) {
      const url = (await link.getAttribute('data-url')) ?? '';
      assert.match(url, /^https?:\/\//);
      const popup = page
        .context()
        .waitForEvent('page', { timeout: 15_000 })
        .catch(() => undefined);
      await link.click();
      const dialog = page.locator('.monaco-dialog-box', { hasText: new URL(url).hostname });
      const opened = await Promise.race([
        dialog.waitFor({ timeout: 15_000 }).then(() => 'dialog' as const),
        popup.then((p) => (p ? ('popup' as const) : undefined)),
      ]).catch(() => undefined);
      assert.ok(opened, `clicking ${url} asked to open it outside the editor`);
      if (opened === 'dialog') await page.keyboard.press('Escape');
      else (await popup)?.close().catch(() => undefined);
    }

    // Save for grading: the rows record the sources as given and the citations (none from the tiny model).
    frame = visibleWebview(page);
    await frame.locator('#save').click();
    await frame.locator('#saved', { hasText: /^Saved as playground-/ }).waitFor();
    const saved = path.join(
      workspaceDir,
      '.medqa',
      'playground',
      `${RUN}-${CHECKPOINT}`,
      'evaluations',
      'playground',
    );
    const rows: Record<string, Row> = {};
    for (const side of ['base', 'adapter']) {
      const lines = readFileSync(path.join(saved, side, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(lines.length, 1);
      rows[side] = JSON.parse(lines[0]) as Row;
      assert.equal(rows[side].question, question, 'the row keeps the question, not the grounded prompt');
      assert.equal(rows[side].retrieved?.length, count, 'the sources as given are recorded');
      assert.ok(Array.isArray(rows[side].cited));
    }
    const shownQuestions = await frame.locator('#sources .source-question').allTextContents();
    assert.deepEqual(
      rows.adapter.retrieved?.map((s) => s.question),
      shownQuestions.map((q) => q.trim()),
    );

    // One more saved exchange whose answer cites (written here: the tiny model cannot cite).
    const citing = {
      ...rows.adapter,
      id: 'e2e-citing-answer',
      prediction: 'It presents as a lump [2]; see [1-3].',
    };
    for (const side of ['base', 'adapter'])
      appendFileSync(
        path.join(saved, side, 'predictions.jsonl'),
        JSON.stringify({
          ...(side === 'base' ? rows.base : citing),
          id: 'e2e-citing-answer',
          cited: side === 'base' ? [] : [2, 1, 3],
        }) + '\n',
      );

    // "Grade Answers" in the saved notification opens the Grading panel on the exchange.
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'saved for grading' })
      .locator('a.monaco-button, .monaco-button', { hasText: 'Grade Answers' })
      .first()
      .click();
    let grading = visibleWebview(page);
    await grading.locator('#sources-block').waitFor({ timeout: 60_000 });
    const listed = grading.locator('#grading-sources li.source');
    assert.equal(await listed.count(), count, 'the Grading panel lists the sources the model was given');
    assert.deepEqual(
      (await grading.locator('#grading-sources .source-question').allTextContents()).map((q) => q.trim()),
      shownQuestions.map((q) => q.trim()),
    );
    await grading.locator('button.flag[data-flag="unsupported"]').first().waitFor();

    // The citing answer: its citations are marked on the sources and jump to them.
    await grading.locator('#next').click();
    grading = visibleWebview(page);
    await grading.locator('#example[data-id="e2e-citing-answer"]').waitFor();
    const cited = grading.locator('#grading-sources li.source.cited');
    assert.equal(await cited.count(), count, 'every source it cites is marked');
    await grading.locator('#grading-source-1 .cited-badge', { hasText: 'cited by Fine-tuned' }).waitFor();
    const jump = grading.locator(`#grading-cites a.cite[data-cites="${count}"]`);
    await jump.click();
    await grading.locator(`#grading-source-${count}.jumped`).waitFor();
    assert.equal(await grading.locator('#grading-sources li.source.jumped').count(), 1);
    await workbench.screenshot('grading-sources');
    console.log(`    whole flow in ${Math.round((Date.now() - started) / 1000)} s`);
  });
});
