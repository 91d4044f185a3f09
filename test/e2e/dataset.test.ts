import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { importDataset } from '../../src/dataset/import';
import { findImportCandidates, type ImportCandidate } from '../../src/dataset/view/importCandidates';
import { fixturesDir, requireShared } from '../support/paths';
import { chooseFromContextMenu, startWorkbench, type Workbench } from './support/workbench';

/** The QA Pairs view's rows (pane body under its header). */
function qaPairsView(page: Page): Locator {
  return page
    .locator('.pane', { has: page.locator('.pane-header', { hasText: /QA Pairs/i }) })
    .locator('.monaco-list');
}

function treeRow(page: Page, text: string | RegExp): Locator {
  return qaPairsView(page).locator('.monaco-list-row', { hasText: text });
}

function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/** Clicks an action in the QA Pairs view's title bar (shown on hover), e.g. "Search QA Pairs…". */
async function viewAction(page: Page, title: string): Promise<void> {
  const header = page.locator('.pane-header', { hasText: /QA Pairs/i }).first();
  await header.hover();
  await header.locator(`.action-label[aria-label^="${title}"]`).first().click();
}

/** The dataset webview's document: code-server nests the app in two iframes. */
function datasetFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

describe('dataset: import, search, flag and the dataset panel, as a user does it', function () {
  this.timeout(240_000);
  let workbench: Workbench;
  let dataset: ImportCandidate;
  let question: string;
  let pairId: string;

  before(async () => {
    const tokenizer = requireShared('models/qwen3-tokenizer');
    assert.ok(existsSync(path.join(tokenizer, 'tokenizer.json')));
    workbench = await startWorkbench();
    const candidates = await findImportCandidates(workbench.workspaceDir);
    const found = candidates.find((c) => c.kind === 'folder' && c.subFolders >= 2) ?? candidates[0];
    assert.ok(found, `the demo workspace has no dataset folder: ${workbench.workspaceDir}`);
    dataset = found;
    // A question to search for: an answered pair whose question is unique in the demo data.
    const { pairs } = await importDataset(dataset.path);
    const counts = new Map<string, number>();
    for (const pair of pairs) counts.set(pair.question, (counts.get(pair.question) ?? 0) + 1);
    const target = pairs.find(
      (pair) => pair.answer.trim() && counts.get(pair.question) === 1 && pair.question.length > 20,
    );
    assert.ok(target, 'the demo data has no answered pair with a unique question');
    question = target.question;
    pairId = target.id;
  });

  after(async () => {
    await workbench?.stop();
  });

  it('imports the demo dataset from the welcome button, choosing the folder the quick pick offers', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    await page.locator('.sidebar').getByRole('button', { name: 'Import Dataset…' }).first().click();
    await quickInput(page).waitFor({ state: 'visible' });
    await quickInput(page)
      .locator('.quick-input-list .monaco-list-row', { hasText: dataset.label })
      .first()
      .click();
    // The tree shows the collections with their pair counts.
    await treeRow(page, /\d+ pairs/)
      .first()
      .waitFor({ timeout: 60_000 });
    await page
      .locator('.notifications-toasts', { hasText: /imported [\d,]+ pairs/ })
      .first()
      .waitFor();
    assert.ok(
      existsSync(path.join(workbench.workspaceDir, '.medqa', 'workspace.json')),
      'the source is recorded',
    );
    await workbench.screenshot('dataset-tree-imported');
  });

  it('finds a question with the search, reveals it in the tree and flags it from the context menu', async () => {
    const { page } = workbench;
    // runCommand waits for the palette to close, but this command opens a quick pick of its own: use the view's button.
    await viewAction(page, 'Search QA Pairs…');
    const input = quickInput(page).locator('input');
    await input.waitFor({ state: 'visible' });
    await input.fill(question.replace(/[?]/g, '').trim());
    const result = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: pairId });
    await result.first().waitFor();
    await workbench.screenshot('dataset-search');
    await result.first().click();
    // The pair opens as a document and is selected in the tree.
    await page.locator('.editor-group-container .monaco-editor', { hasText: 'Question' }).first().waitFor();
    const row = treeRow(page, question).first();
    await row.waitFor();
    await chooseFromContextMenu(page, row, 'Flag Pair…');
    await input.waitFor({ state: 'visible' });
    await input.fill('answer needs a source check');
    await input.press('Enter');
    await treeRow(page, question).filter({ hasText: 'flagged' }).first().waitFor();
    assert.equal(await row.locator('.codicon-flag').count(), 1, 'the flagged pair shows the flag icon');
    const overlay = JSON.parse(
      readFileSync(path.join(workbench.workspaceDir, '.medqa', 'overlay.json'), 'utf8'),
    ) as {
      pairs: Record<string, { flag?: { reason: string } }>;
    };
    assert.equal(overlay.pairs[pairId]?.flag?.reason, 'answer needs a source check');
    await workbench.screenshot('dataset-flagged');
  });

  it('keeps the flag after a window reload (sources and curation load from .medqa/)', async () => {
    const { page } = workbench;
    await workbench.reload();
    await workbench.openMedqaContainer();
    // The collection holding the pair counts it as flagged without expanding anything.
    await treeRow(page, /1 flagged/)
      .first()
      .waitFor({ timeout: 60_000 });
    await viewAction(page, 'Search QA Pairs…');
    const input = quickInput(page).locator('input');
    await input.waitFor({ state: 'visible' });
    await input.fill('is:flagged ');
    const result = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: pairId });
    await result.first().waitFor();
    await result.first().click();
    const row = treeRow(page, question).filter({ hasText: 'flagged' }).first();
    await row.waitFor();
    assert.equal(await row.locator('.codicon-flag').count(), 1);
    await workbench.screenshot('dataset-flag-after-reload');
  });

  it('shows the dataset panel: counts, token lengths against max_length (after choosing the tokenizer), duplicates', async () => {
    const { page } = workbench;
    await workbench.runCommand('MedQA: Show Dataset Panel');
    const frame = datasetFrame(page);
    await frame.getByText('Pairs by collection').waitFor({ timeout: 60_000 });
    await frame.locator('#summary', { hasText: /pairs ·/ }).waitFor();
    await page.waitForTimeout(500); // charts draw on the next frame
    await workbench.screenshot('dataset-panel-overview');

    // No tokenizer beside the temp workspace: the panel says so and offers to choose one.
    await frame.locator('vscode-tab-header', { hasText: 'Token lengths' }).click();
    await frame.getByText('No tokenizer found', { exact: false }).waitFor();
    await frame.locator('vscode-button', { hasText: 'Set Tokenizer Folder…' }).click();
    // The button opens a folder dialog (code-server's own, a quick input). Its path box resets itself while it lists
    // folders, which makes typing into it unreliable here, so close it and put the folder in the workspace settings.
    await quickInput(page).locator('.quick-input-title', { hasText: 'Folder with tokenizer.json' }).waitFor();
    await page.keyboard.press('Escape');
    const settings = path.join(workbench.workspaceDir, '.vscode', 'settings.json');
    mkdirSync(path.dirname(settings), { recursive: true });
    writeFileSync(
      settings,
      JSON.stringify({ 'medqa.tokenizerPath': requireShared('models/qwen3-tokenizer') }, null, 2),
    );
    await frame.getByText(/training examples \([\d.]+%\)/).waitFor({ timeout: 120_000 });
    await page.waitForTimeout(500);
    await workbench.screenshot('dataset-panel-tokens');

    await frame.locator('vscode-button', { hasText: 'Find Duplicates' }).first().click();
    await frame.locator('vscode-tab-header', { hasText: 'Duplicates' }).click();
    await frame.getByText(/groups? of duplicate questions/).waitFor({ timeout: 60_000 });
    await page.locator('.notification-toast', { hasText: 'Finding duplicates' }).waitFor({ state: 'hidden' });
    await workbench.screenshot('dataset-panel-duplicates');
    // "Open Both" shows the two members of a group side by side.
    await frame.locator('vscode-button', { hasText: 'Open Both' }).first().click();
    await page.locator('.monaco-diff-editor').first().waitFor();
    await page.locator('.tab', { hasText: 'MedQA Dataset' }).first().click();
  });

  it('reports import problems with file:line, and opens the file at that line from the import report', async () => {
    const { page } = workbench;
    cpSync(path.join(fixturesDir, 'medquad', 'broken'), path.join(workbench.workspaceDir, 'broken'), {
      recursive: true,
    });
    await viewAction(page, 'Import Dataset…');
    await quickInput(page)
      .locator('.quick-input-list .monaco-list-row', { hasText: 'broken/5_NIDDK_QA' })
      .first()
      .click();
    const toast = page.locator('.notification-toast', { hasText: /3 problems/ }).first();
    await toast.waitFor({ timeout: 60_000 });
    await toast.getByRole('button', { name: 'Show Import Report' }).click();
    const frame = datasetFrame(page);
    const link = frame.locator('a[data-action="openProblem"]', { hasText: '0000001.xml:11' });
    await link.waitFor();
    await frame.getByText('end tag </Answr> does not match', { exact: false }).waitFor();
    await workbench.screenshot('dataset-panel-import-report');
    await link.click();
    await page.locator('.tab', { hasText: '0000001.xml' }).first().waitFor();
    await page
      .locator('.statusbar', { hasText: /Ln 11, Col \d+/ })
      .first()
      .waitFor();
  });

  it('creates a split and exports it for training through the input boxes, then groups the tree by split', async () => {
    const { page } = workbench;
    const frame = datasetFrame(page);
    await frame.locator('vscode-button', { hasText: 'Create Split…' }).first().click();
    const input = quickInput(page).locator('input');
    await input.waitFor({ state: 'visible' });
    assert.equal(await input.inputValue(), 'seed 42, ratios 81,9,10', 'the defaults come from the settings');
    await input.press('Enter');
    const splitToast = page.locator('.notification-toast', { hasText: /split-42: train \d+/ }).first();
    await splitToast.waitFor({ timeout: 60_000 });
    await splitToast.getByRole('button', { name: 'Export for Training…' }).click();
    await input.waitFor({ state: 'visible' });
    await input.fill('e2e-export');
    await input.press('Enter');
    await page
      .locator('.notification-toast', { hasText: /exported train \d+/ })
      .first()
      .waitFor({ timeout: 60_000 });
    const exportDir = path.join(workbench.workspaceDir, '.medqa', 'exports', 'e2e-export');
    const manifest = JSON.parse(readFileSync(path.join(exportDir, 'manifest.json'), 'utf8')) as {
      format: string;
      seed: number;
      counts: Record<string, number>;
    };
    assert.equal(manifest.format, 'medqa-chat-jsonl');
    assert.equal(manifest.seed, 42);
    const lines = readFileSync(path.join(exportDir, 'train.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, manifest.counts.train);
    assert.ok(existsSync(path.join(workbench.workspaceDir, '.medqa', 'splits', 'split-42.json')));
    // The view's "..." menu switches the grouping; the split's names become the top level.
    const header = page.locator('.pane-header', { hasText: /QA Pairs/i }).first();
    await header.hover();
    await header
      .locator('.action-label[aria-label^="More Actions"], .action-label.codicon-toolbar-more')
      .first()
      .click();
    // Hover + Enter: the menu may ignore a click that follows its opening too closely.
    await page.locator('.context-view .action-label', { hasText: 'Group by Split' }).first().hover();
    await page.keyboard.press('Enter');
    // (A row's text is its label and description run together, e.g. "train35 pairs".)
    await treeRow(page, /^\s*train\d/)
      .first()
      .waitFor();
    await treeRow(page, /^\s*validation\d/)
      .first()
      .waitFor();
    await frame.locator('vscode-tab-header', { hasText: 'Overview' }).click();
    await frame.getByText(/Seed 42, ratios 81 \/ 9 \/ 10/).waitFor();
    await page.waitForTimeout(500);
    await workbench.screenshot('dataset-grouped-by-split');
  });
});
