import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { importDataset } from '../../../src/dataset/import';
import type { TreeNode } from '../../../src/vscode/treeNode';
import type { MedqaApi } from '../../../src/extension';
import { requireShared } from '../../support/paths';

const EXTENSION_ID = 'medqa-studio.medqa-studio';

function timed<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

describe('dataset: the real MedQuAD (47k pairs) in the QA Pairs tree', function () {
  this.timeout(180_000);
  let api: MedqaApi;
  let medquad: string;
  let root: string;

  before(async () => {
    medquad = requireShared('data/MedQuAD');
    api = await vscode.extensions.getExtension<MedqaApi>(EXTENSION_ID)!.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  after(async () => {
    await vscode.commands.executeCommand('medqa.dataset.removeSource', medquad);
    for (const name of ['overlay.json', 'workspace.json'])
      rmSync(path.join(root, '.medqa', name), { force: true });
  });

  it('imports it with the command and opens every level without building thousands of items', async () => {
    const started = performance.now();
    const result = await vscode.commands.executeCommand<{ pairs: number }>('medqa.dataset.import', medquad);
    const importMs = performance.now() - started;
    const expected = await importDataset(medquad);
    assert.equal(result?.pairs, expected.pairs.length);
    assert.ok(
      expected.pairs.length > 47_000,
      `MedQuAD has 47k pairs, the import found ${expected.pairs.length}`,
    );
    const tree = api.dataset.tree;
    const roots = timed(() => tree.getChildren());
    assert.equal(roots.value.length, 12, 'twelve collections');
    assert.match(String(tree.getTreeItem(roots.value[0]).description), /pairs/);
    // Largest child list anywhere on the path to the last pair of the biggest collection.
    const biggest = roots.value.reduce((a, b) => (countOf(tree, a) >= countOf(tree, b) ? a : b));
    const children = timed(() => tree.getChildren(biggest));
    assert.ok(
      children.value.length <= 500,
      `a collection shows at most 500 children (pages), got ${children.value.length}`,
    );
    let node: TreeNode = children.value[children.value.length - 1];
    let deepest = 0;
    for (let depth = 0; depth < 4; depth++) {
      const next = tree.getChildren(node);
      if (next.length === 0) break;
      deepest = Math.max(deepest, next.length);
      node = next[next.length - 1];
    }
    assert.ok(deepest <= 500);
    const qtypes = timed(() => {
      void tree.setGrouping('qtype');
      return tree.getChildren();
    });
    await tree.setGrouping('collection');
    console.log(
      `[dataset] MedQuAD import ${importMs.toFixed(0)} ms; roots ${roots.ms.toFixed(1)} ms; ` +
        `biggest collection (${children.value.length} children) ${children.ms.toFixed(1)} ms; qtype index ${qtypes.ms.toFixed(0)} ms`,
    );
    // The times are printed, not asserted: a timed test fails on a busy machine (bench/ holds speed targets).
  });

  it('reveals and flags a pair deep in the biggest collection', async () => {
    const pairs = api.dataset.session.pairs;
    const target = pairs[Math.floor(pairs.length * 0.4)];
    const started = performance.now();
    await api.dataset.reveal(target.id);
    const revealMs = performance.now() - started;
    await vscode.commands.executeCommand('medqa.dataset.flag', target.id, 'checked by the 47k test');
    const item = api.dataset.tree.getTreeItem(api.dataset.tree.nodeForPair(target.id)!);
    assert.match(String(item.contextValue), /\bflagged\b/);
    await vscode.commands.executeCommand('medqa.dataset.undo');
    console.log(`[dataset] reveal in 47k pairs ${revealMs.toFixed(0)} ms`);
  });
});

function countOf(tree: MedqaApi['dataset']['tree'], node: TreeNode): number {
  const match = /([\d,]+) pairs?/.exec(String(tree.getTreeItem(node).description));
  return match ? Number(match[1].replace(/,/g, '')) : 0;
}
