import * as assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { OverlayStore } from '../../../src/dataset/overlay';
import { findImportCandidates } from '../../../src/dataset/view/importCandidates';
import type { MedqaApi } from '../../../src/extension';

const EXTENSION_ID = 'medqa-studio.medqa-studio';

describe('dataset: curation from another window on the same folder', function () {
  this.timeout(120_000);
  let api: MedqaApi;
  let root: string;
  let source: string;
  let pairId: string;

  before(async () => {
    api = await vscode.extensions.getExtension<MedqaApi>(EXTENSION_ID)!.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const candidates = await findImportCandidates(root);
    const dataset = candidates.find((c) => c.kind === 'folder');
    assert.ok(dataset, `no dataset folder in the demo workspace ${root}`);
    source = dataset.path;
    await api.dataset.session.whenLoaded();
    const result = await vscode.commands.executeCommand<{ pairs: number }>('medqa.dataset.import', source);
    assert.ok(result && result.pairs > 0, 'the import loaded pairs');
    pairId = api.dataset.session.pairs[0].id;
  });

  after(async () => {
    await vscode.commands.executeCommand('medqa.dataset.removeSource', source);
    for (const name of ['overlay.json', 'workspace.json'])
      rmSync(path.join(root, '.medqa', name), { force: true });
  });

  it('shows a flag written by another window in the tree, without a reload', async () => {
    // A store of its own (this test bundle's copy of the module) is what a second window on the folder would be.
    const other = await OverlayStore.load(root);
    await other.setFlag(pairId, 'flagged elsewhere');
    await waitFor(
      () => api.dataset.session.curated(pairId)?.flagged?.reason === 'flagged elsewhere',
      'the file watcher reloads the overlay',
    );
    const item = api.dataset.tree.getTreeItem(api.dataset.tree.nodeForPair(pairId)!);
    assert.match(String(item.contextValue), /\bflagged\b/);
  });

  it("a note made here keeps the other window's flag in the file", async () => {
    await vscode.commands.executeCommand('medqa.dataset.note', pairId, 'noted here');
    const file = JSON.parse(readFileSync(path.join(root, '.medqa', 'overlay.json'), 'utf8')) as {
      pairs: Record<string, { flag?: { reason: string }; note?: string }>;
    };
    assert.equal(file.pairs[pairId]?.flag?.reason, 'flagged elsewhere');
    assert.equal(file.pairs[pairId]?.note, 'noted here');
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
