import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findImportCandidates } from '../../../src/dataset/view/importCandidates';
import type { TreeNode } from '../../../src/vscode/treeNode';
import type { MedqaApi } from '../../../src/extension';
import { retrievalLines } from '../../../src/retrieval/indexes';
import { EXTENSION_ID } from '../support';

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs "Search QA Pairs…" with `text` and accepts its first item as soon as there is one (the pick shows nothing
 * until the index's ranking arrives when no question contains the words); resolves with the chosen pair id.
 */
async function searchAndAccept(text: string): Promise<string | undefined> {
  let settled = false;
  const chosen = Promise.resolve(
    vscode.commands.executeCommand<string | undefined>('medqa.dataset.search', text),
  ).finally(() => (settled = true));
  const deadline = Date.now() + 15_000;
  while (!settled && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  if (!settled) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  return chosen;
}

const label = (item: vscode.TreeItem) =>
  typeof item.label === 'string' ? item.label : (item.label?.label ?? '');

describe('retrieval index: built from the QA Pairs data by the command, shown in the view, ranking the search', function () {
  this.timeout(180_000);
  let api: MedqaApi;
  let root: string;
  let source: string;

  const roots = () => api.dataset.tree.getChildren();
  const item = (node: TreeNode) => api.dataset.tree.getTreeItem(node);
  const indexItem = () => {
    const node = roots().find((n) => n.id === 'retrieval:all');
    return node && item(node);
  };

  before(async () => {
    const extension = vscode.extensions.getExtension<MedqaApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const candidates = await findImportCandidates(root);
    const dataset = candidates.find((c) => c.kind === 'folder' && c.subFolders >= 2);
    assert.ok(dataset, `no dataset folder in the demo workspace ${root}`);
    source = dataset.path;
    await api.dataset.session.whenLoaded();
    if (api.dataset.session.pairs.length === 0) {
      const imported = await vscode.commands.executeCommand<{ pairs: number }>(
        'medqa.dataset.import',
        source,
      );
      assert.ok(imported && imported.pairs > 0, 'the demo dataset was imported');
    }
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands
      .executeCommand('medqa.retrieval.deleteIndex', { name: 'all', confirmed: true })
      .then(
        () => undefined,
        () => undefined,
      );
    await vscode.commands.executeCommand('medqa.dataset.removeSource', source);
    for (const name of ['retrieval', 'overlay.json', 'workspace.json', 'splits/split-11.json'])
      rmSync(path.join(root, '.medqa', name), { recursive: true, force: true });
  });

  it('Build Retrieval Index writes the curated pairs, runs index build and shows the index above the groups', async () => {
    const result = await vscode.commands.executeCommand<{ name: string; dir: string; pairs: number }>(
      'medqa.retrieval.buildIndex',
      'all',
    );
    assert.ok(result, `the build returned nothing: ${JSON.stringify(api.commandErrors.slice(-2))}`);
    const expected = retrievalLines(api.dataset.session.curatedPairs()).length;
    assert.deepEqual(result, {
      name: 'all',
      dir: path.join(root, '.medqa', 'retrieval', 'all'),
      pairs: expected,
    });
    assert.ok(existsSync(path.join(result.dir, 'manifest.json')));
    assert.ok(existsSync(path.join(root, '.medqa', 'retrieval', 'all.pairs.jsonl')));

    const index = indexItem();
    assert.ok(index, 'the QA Pairs view lists the index');
    assert.equal(roots()[0].id, 'retrieval:all', 'the index comes before the groups');
    assert.equal(label(index), 'Retrieval index: all curated pairs');
    assert.match(
      String(index.description),
      new RegExp(`^${expected} pairs · [\\d.]+ [kM]?B · data [0-9a-f]{8}$`),
    );
    assert.match(String(index.contextValue), /^retrievalIndex\b/);
  });

  it('Search QA Pairs… ranks words with the index (no question contains "tumor"), filters narrow its ranking', async () => {
    const session = api.dataset.session;
    const outlook = session.pairs.find((p) => p.question === 'What is the outlook for Breast Cancer ?');
    assert.ok(outlook, 'the demo has the breast cancer outlook pair');
    const words = 'outlook breast tumor';
    assert.ok(!session.pairs.some((p) => p.question.toLowerCase().includes('tumor')));
    const found = await api.retrieval.searchClient();
    assert.ok(found, 'a search client for the index');
    const direct = await found.client.search({ query: words, k: 100 });
    assert.equal(direct.hits[0]?.id, outlook.id, JSON.stringify(direct.hits.slice(0, 3)));

    // Through the quick pick: the substring search finds nothing, so the first item is the index's best.
    assert.equal(await searchAndAccept(words), outlook.id);
    const exams = direct.hits.find((hit) => session.pair(hit.id)?.qtype.startsWith('exams'));
    assert.ok(exams, 'the ranking has an exams-and-tests pair');
    assert.equal(await searchAndAccept(`${words} qtype:exams`), exams.id, 'the filter narrowed the ranking');
  });

  it('turns stale after a curation edit, fresh again after the revert', async () => {
    const session = api.dataset.session;
    const pair = session.pairs.find((p) => p.answer.trim() !== '')!;
    const overlay = await session.overlay();
    await overlay.editAnswer(pair, 'An edited answer that the index has not seen.');
    await waitFor(() => /· stale$/.test(String(indexItem()?.description)), 'the index is shown stale');
    assert.match(String(indexItem()?.contextValue), /\bstale\b/);
    await overlay.revert(pair.id);
    await waitFor(() => !/stale/.test(String(indexItem()?.description)), 'the index is fresh again');
  });

  it('builds a training-split index from the current split: only its training pairs, named after the split', async () => {
    const splitFile = await vscode.commands.executeCommand<string>('medqa.dataset.split', {
      seed: 11,
      ratios: [0.6, 0.2, 0.2],
    });
    assert.ok(splitFile, 'the split was made');
    const split = api.dataset.session.split!;
    const train = new Set(split.assignments.filter((a) => a.split === 'train').map((a) => a.id));
    const result = await vscode.commands.executeCommand<{ name: string; dir: string }>(
      'medqa.retrieval.buildIndex',
      'train',
    );
    assert.equal(result?.name, 'train-split-11');
    const manifest = JSON.parse(readFileSync(path.join(result.dir, 'manifest.json'), 'utf8')) as {
      pairs: number;
      source: { splits: string[] };
    };
    assert.equal(manifest.pairs, train.size);
    assert.deepEqual(manifest.source.splits, ['train']);
    const node = roots().find((n) => n.id === 'retrieval:train-split-11');
    assert.ok(node, 'the view lists the training-split index');
    assert.equal(label(item(node)), 'Retrieval index: training split of split-11.json');
    assert.match(String(item(node).description), new RegExp(`^${train.size} pairs · `));
    const deleted = await vscode.commands.executeCommand('medqa.retrieval.deleteIndex', {
      name: 'train-split-11',
      confirmed: true,
    });
    assert.equal(deleted, true);
  });

  it('Delete removes the index, its pairs file and its server', async () => {
    const found = await api.retrieval.searchClient();
    assert.ok(found?.client.running);
    const deleted = await vscode.commands.executeCommand<boolean>('medqa.retrieval.deleteIndex', {
      name: 'all',
      confirmed: true,
    });
    assert.equal(deleted, true);
    assert.ok(!existsSync(path.join(root, '.medqa', 'retrieval', 'all')));
    assert.ok(!existsSync(path.join(root, '.medqa', 'retrieval', 'all.pairs.jsonl')));
    assert.equal(indexItem(), undefined);
    await waitFor(() => !found.client.running, 'the retrieval server stopped');
    assert.equal(await api.retrieval.searchClient(), undefined);
  });
});
