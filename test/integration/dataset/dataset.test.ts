import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { importDataset } from '../../../src/dataset/import';
import { readSplit } from '../../../src/dataset/split';
import { computeStats } from '../../../src/dataset/stats';
import { findImportCandidates } from '../../../src/dataset/view/importCandidates';
import type { PairNode } from '../../../src/dataset/view/pairTree';
import type { TreeNode } from '../../../src/vscode/treeNode';
import { DatasetSession } from '../../../src/dataset/view/session';
import type { MedqaApi } from '../../../src/extension';

const EXTENSION_ID = 'medqa-studio.medqa-studio';

function jsonl(
  file: string,
): { id: string; messages: { role: string; content: string }[]; qtype: string; source: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as never);
}

function json<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const label = (item: vscode.TreeItem) =>
  typeof item.label === 'string' ? item.label : (item.label?.label ?? '');

describe('dataset: import, tree, curation, split and export in a real VS Code', function () {
  this.timeout(120_000);
  let api: MedqaApi;
  let root: string;
  let source: string;

  const tree = () => api.dataset.tree;
  const item = (node: TreeNode) => tree().getTreeItem(node);
  // The tests are bundled apart from the extension, so its classes are told apart by shape, not instanceof.
  const isPair = (node: unknown): node is PairNode =>
    typeof node === 'object' && node !== null && 'pairId' in node;
  const firstPair = (): PairNode => {
    let node: TreeNode | undefined = tree().getChildren()[0];
    while (node && !isPair(node)) node = tree().getChildren(node)[0];
    assert.ok(node, 'the tree has no pair');
    return node;
  };

  before(async () => {
    const extension = vscode.extensions.getExtension<MedqaApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    // The demo workspace ships a MedQuAD-style folder; the import quick pick offers it the same way.
    const candidates = await findImportCandidates(root);
    const dataset =
      candidates.find((c) => c.kind === 'folder' && c.subFolders >= 2) ??
      candidates.find((c) => c.kind === 'folder');
    assert.ok(
      dataset,
      `no dataset folder found in the demo workspace ${root}: ${JSON.stringify(candidates)}`,
    );
    source = dataset.path;
    await api.dataset.session.whenLoaded();
  });

  after(async () => {
    // Leave the shared demo copy as the next suite expects it: no dataset state of ours.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('medqa.dataset.removeSource', source);
    for (const name of [
      'overlay.json',
      'duplicates.json',
      'workspace.json',
      'splits/split-7.json',
      'exports/itest',
    ]) {
      rmSync(path.join(root, '.medqa', name), { recursive: true, force: true });
    }
  });

  it('starts with no pairs, so the view shows its welcome', () => {
    assert.equal(api.dataset.session.pairs.length, 0);
    assert.deepEqual(tree().getChildren(), []);
  });

  it('imports the demo folder through the command; the tree shows its collections with counts', async () => {
    const result = await vscode.commands.executeCommand<{ pairs: number; problems: number }>(
      'medqa.dataset.import',
      source,
    );
    assert.ok(result, 'medqa.dataset.import returned nothing (see the MedQA Studio log)');
    const expected = await importDataset(source);
    const stats = computeStats(expected.pairs);
    assert.equal(result.pairs, expected.pairs.length);
    assert.ok(result.pairs > 0);

    const roots = tree().getChildren();
    assert.deepEqual(
      roots.map((node) => label(item(node))),
      Object.keys(stats.byCollection),
    );
    for (const node of roots) {
      const treeItem = item(node);
      const count = stats.byCollection[label(treeItem)].pairs;
      assert.match(String(treeItem.description), new RegExp(`\\b${count.toLocaleString('en-US')} pairs?\\b`));
      assert.equal(treeItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
      assert.ok(treeItem.id && treeItem.contextValue, 'groups have an id and a contextValue');
    }
    const pair = firstPair();
    const pairItem = item(pair);
    assert.equal(pairItem.id, `p:${pair.pairId}`);
    assert.match(String(pairItem.contextValue), /^pair\b/);
    assert.equal(pairItem.command?.command, 'medqa.dataset.openPair');
    assert.equal(tree().getParent(pair), pair.parent);

    const workspace = json<{ sources: { path: string }[] }>(path.join(root, '.medqa', 'workspace.json'));
    assert.deepEqual(
      workspace.sources.map((s) => s.path),
      [path.relative(root, source).split(path.sep).join('/')],
    );
  });

  it('opens a pair as a read-only document with its question, answer and metadata', async () => {
    const pair = firstPair();
    const curated = api.dataset.session.curated(pair.pairId)!;
    await vscode.commands.executeCommand('medqa.dataset.openPair', pair.pairId);
    const document = vscode.window.activeTextEditor?.document;
    assert.equal(document?.uri.scheme, 'medqa-pair');
    assert.ok(document.getText().includes(curated.question));
    assert.ok(document.getText().includes(`\`${curated.id}\``));
  });

  it('flags a pair and undoes it through commands; the overlay file, the document and the tree follow', async () => {
    const pair = firstPair();
    const overlayFile = path.join(root, '.medqa', 'overlay.json');
    const change = await vscode.commands.executeCommand<{ label: string }>(
      'medqa.dataset.flag',
      pair.pairId,
      'answer is outdated',
    );
    assert.equal(change?.label, 'Flag');
    const flagged = json<{ pairs: Record<string, { flag?: { reason: string } }> }>(overlayFile);
    assert.equal(flagged.pairs[pair.pairId]?.flag?.reason, 'answer is outdated');
    const flaggedItem = item(tree().nodeForPair(pair.pairId)!);
    assert.match(String(flaggedItem.contextValue), /\bflagged\b/);
    assert.equal((flaggedItem.iconPath as vscode.ThemeIcon).id, 'flag');
    assert.match(String(flaggedItem.description), /flagged/);
    assert.match(String(item(tree().getChildren()[0]).description), /1 flagged/);
    const document = vscode.window.activeTextEditor?.document;
    if (document?.uri.scheme === 'medqa-pair') {
      await waitFor(
        () => document.getText().includes('answer is outdated'),
        'the open pair document shows the flag',
      );
    }

    const undone = await vscode.commands.executeCommand<{ label: string }>('medqa.dataset.undo');
    assert.equal(undone?.label, 'Undo flag');
    assert.equal(json<{ pairs: Record<string, unknown> }>(overlayFile).pairs[pair.pairId], undefined);
    assert.doesNotMatch(String(item(tree().nodeForPair(pair.pairId)!).contextValue), /\bflagged\b/);
  });

  it('saves an edited pair into the overlay through the editable document, never into the source file', async () => {
    const pair = firstPair();
    const original = api.dataset.session.pair(pair.pairId)!;
    const sourceFile = path.join(source, original.document.file);
    const before = { text: readFileSync(sourceFile, 'utf8'), mtime: statSync(sourceFile).mtimeMs };
    await vscode.commands.executeCommand('medqa.dataset.editPair', pair.pairId);
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.scheme, 'medqa-edit');
    const text = editor.document.getText();
    const answerAt = text.indexOf('# Answer');
    assert.ok(answerAt > 0, 'the editable form has an answer heading');
    await editor.edit((edit) =>
      edit.replace(
        new vscode.Range(editor.document.positionAt(answerAt), editor.document.positionAt(text.length)),
        '# Answer\n\nA curated answer.\n',
      ),
    );
    assert.ok(await editor.document.save(), 'the edit saves');
    const overlay = json<{ pairs: Record<string, { answer?: string }> }>(
      path.join(root, '.medqa', 'overlay.json'),
    );
    assert.equal(overlay.pairs[pair.pairId]?.answer, 'A curated answer.');
    assert.equal(api.dataset.session.curated(pair.pairId)?.answer, 'A curated answer.');
    assert.equal(readFileSync(sourceFile, 'utf8'), before.text);
    assert.equal(statSync(sourceFile).mtimeMs, before.mtime);
    assert.equal((item(tree().nodeForPair(pair.pairId)!).iconPath as vscode.ThemeIcon).id, 'edit');

    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.commands.executeCommand('medqa.dataset.undo');
    assert.equal(api.dataset.session.curated(pair.pairId)?.answer, original.answer);
  });

  it('reveals a pair in the tree through its parent chain', async () => {
    const pairs = api.dataset.session.pairs;
    const last = pairs[pairs.length - 1];
    await api.dataset.reveal(last.id);
    const selected = api.dataset.treeView.selection[0];
    assert.ok(isPair(selected) && selected.pairId === last.id, 'the revealed pair is selected');
  });

  it('finds duplicates in a worker thread and marks them in the tree', async () => {
    const scan = await vscode.commands.executeCommand<{
      questions: { ids: string[] }[];
      answers: { ids: string[] }[];
    }>('medqa.dataset.findDuplicates');
    assert.ok(scan, 'findDuplicates returned nothing');
    assert.ok(existsSync(path.join(root, '.medqa', 'duplicates.json')));
    const group = [...scan.questions, ...scan.answers][0];
    if (group) {
      assert.match(String(item(tree().nodeForPair(group.ids[0])!).contextValue), /\bduplicate\b/);
      assert.deepEqual(api.dataset.session.duplicatesOf(group.ids[0]).sort(), group.ids.slice(1).sort());
    }
  });

  it('creates a split and an export that follow contract #1', async () => {
    const pairId = firstPair().pairId;
    await vscode.commands.executeCommand('medqa.dataset.exclude', pairId, 'not medical');
    const file = await vscode.commands.executeCommand<string>('medqa.dataset.split', {
      seed: 7,
      ratios: [80, 10, 10],
    });
    assert.equal(file, path.join(root, '.medqa', 'splits', 'split-7.json'));
    const split = await readSplit(file);
    const answered = api.dataset.session.curatedPairs().filter((p) => !p.excluded && p.answer.trim() !== '');
    assert.equal(split.assignments.length, answered.length);
    assert.equal(split.counts.excluded, 1);
    assert.equal(
      json<{ lastSplit?: { path: string } }>(path.join(root, '.medqa', 'workspace.json')).lastSplit?.path,
      '.medqa/splits/split-7.json',
    );

    const dir = await vscode.commands.executeCommand<string>('medqa.dataset.export', {
      name: 'itest',
      overwrite: true,
    });
    assert.equal(dir, path.join(root, '.medqa', 'exports', 'itest'));
    const manifest = json<{
      format: string;
      version: number;
      seed: number;
      counts: Record<string, number>;
      files: Record<string, string>;
      splitHash: string;
      systemPrompt: string | null;
    }>(path.join(dir, 'manifest.json'));
    assert.equal(manifest.format, 'medqa-chat-jsonl');
    assert.equal(manifest.version, 1);
    assert.equal(manifest.seed, 7);
    assert.equal(manifest.splitHash, split.splitHash);
    assert.equal(manifest.counts.excluded, 1);
    assert.equal(manifest.systemPrompt, null);
    const seen = new Set<string>();
    for (const name of ['train', 'validation', 'test']) {
      assert.equal(manifest.files[name], `${name}.jsonl`);
      const records = jsonl(path.join(dir, `${name}.jsonl`));
      assert.equal(records.length, manifest.counts[name]);
      for (const record of records) {
        assert.ok(!seen.has(record.id), `${record.id} is in two splits`);
        seen.add(record.id);
        assert.deepEqual(
          record.messages.map((m) => m.role),
          ['user', 'assistant'],
        );
        assert.ok(record.messages[1].content.trim() && record.qtype && record.source);
      }
    }
    assert.equal(seen.size, answered.length);
    assert.ok(!seen.has(pairId), 'the excluded pair is not exported');

    await api.dataset.tree.setGrouping('split');
    assert.deepEqual(
      tree()
        .getChildren()
        .map((node) => label(item(node)))
        .slice(0, 3),
      ['train', 'validation', 'test'],
    );
    await api.dataset.tree.setGrouping('collection');
  });

  it('reloads the sources and the curation from .medqa/ like a new window does', async () => {
    const session = new DatasetSession(root);
    await session.load();
    assert.equal(session.pairs.length, api.dataset.session.pairs.length);
    assert.ok(session.curatedPairs().some((pair) => pair.excluded?.reason === 'not medical'));
    assert.equal(session.split?.seed, 7);
    session.dispose();
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
