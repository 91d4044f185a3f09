/**
 * Wires the dataset feature into VS Code: the session, the QA Pairs tree, pair documents, the dataset panel and the
 * commands. Activation only registers things; the workspace's sources load afterwards, asynchronously.
 */
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import { registerCurationCommands } from './curationCommands';
import { registerDatasetCommands } from './datasetCommands';
import { DatasetPanel } from './datasetPanel';
import { watchOverlayFile } from './overlayWatcher';
import { openPair, registerPairDocuments } from './pairDocuments';
import type { Grouping } from './pairGroups';
import { PairTreeProvider, type TreeNode } from './pairTree';
import { showPairSearch, type SearchRanker } from './searchPick';
import { DatasetSession } from './session';
import { sourcePolicy } from '../sourcePolicy';
import { setting } from '../../vscode/settings';
import { runInWorker } from './workerClient';

/** What other features and tests can use (returned from activate through the extension API). */
export interface DatasetApi {
  readonly session: DatasetSession;
  readonly tree: PairTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  /** Reveals a pair in the tree (selecting it). */
  reveal(pairId: string, options?: { focus?: boolean }): Promise<void>;
  /** "Search QA Pairs…" ranks its words with this (the retrieval index) from now on; undefined: substring search. */
  setSearchRanker(ranker: SearchRanker | undefined): void;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function registerDataset(services: ExtensionServices): DatasetApi {
  const { context, log } = services;
  const root = services.workspaceRoot();
  // Without a folder there is nowhere to keep .medqa/: the view shows its welcome, commands say what to do.
  const session = new DatasetSession(root ?? '');
  session.sourcePolicy = sourcePolicy({
    workspaceDir: root ?? '',
    isTrusted: () => vscode.workspace.isTrusted,
    picked: session.pickedSources,
  });
  session.importer = (sources, options) =>
    runInWorker(
      context.extensionPath,
      { task: 'import', sources, maxFileBytes: setting('dataset.maxFileMegabytes') * (1 << 20) },
      options.signal,
      (filesDone, filesTotal, pairs = 0) => options.onProgress?.({ filesDone, filesTotal, pairs }),
    );
  // Sources left unread for lack of trust are read once it is granted.
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => void session.load().catch(() => undefined)),
  );
  const tree = new PairTreeProvider(session, context.workspaceState);
  const treeView = vscode.window.createTreeView<TreeNode>('medqa.qaPairs', {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  const panel = new DatasetPanel(context, session);
  context.subscriptions.push(
    tree,
    treeView,
    panel,
    registerPairDocuments(session),
    watchOverlayFile(session, log),
    { dispose: () => session.dispose() },
  );

  const reveal = async (pairId: string, options: { focus?: boolean } = {}) => {
    const node = tree.nodeForPair(pairId);
    if (!node) throw new Error(`No pair with id ${pairId} is loaded.`);
    await treeView.reveal(node, { select: true, focus: options.focus ?? false, expand: true });
  };

  const updateView = () => {
    const loading = session.status === 'loading';
    void vscode.commands.executeCommand('setContext', 'medqa.dataset.loading', loading);
    void vscode.commands.executeCommand('setContext', 'medqa.hasDataset', session.pairs.length > 0);
    void vscode.commands.executeCommand('setContext', 'medqa.hasSplit', session.split !== undefined);
    treeView.message = loading
      ? 'Loading the dataset…'
      : session.loadError
        ? `$(error) ${session.loadError}`
        : undefined;
    const grouping: Record<Grouping, string> = {
      collection: 'by collection',
      qtype: 'by question type',
      split: 'by split',
    };
    treeView.description = session.pairs.length
      ? `${fmt(session.pairs.length)} pairs · ${grouping[tree.grouping]}`
      : undefined;
  };
  const subscription = session.onDidChange(updateView);
  context.subscriptions.push({ dispose: () => subscription.dispose() });

  const setGrouping = async (grouping: Grouping) => {
    await tree.setGrouping(grouping);
    updateView();
  };
  services.registerCommand(Commands.datasetGroupByCollection, () => setGrouping('collection'));
  services.registerCommand(Commands.datasetGroupByQtype, () => setGrouping('qtype'));
  services.registerCommand(Commands.datasetGroupBySplit, async () => {
    if (!session.split)
      void vscode.window.showInformationMessage(
        'MedQA: no split yet; every pair is shown as "Not in split". Create one with "Create Split…".',
      );
    await setGrouping('split');
  });
  services.registerCommand(Commands.datasetShowPanel, () => void panel.showTab('overview'));
  services.registerCommand(Commands.datasetShowImportReport, () => void panel.showTab('report'));
  let ranker: SearchRanker | undefined;
  services.registerCommand(Commands.datasetSearch, async (initial?: unknown) => {
    const pairId = await showPairSearch(session, {
      value: typeof initial === 'string' ? initial : undefined,
      ranker,
    });
    if (!pairId) return undefined;
    await reveal(pairId);
    await openPair(session, pairId, { preserveFocus: true });
    return pairId;
  });

  registerCurationCommands(services, {
    session,
    treeView,
    pickPair: (title) => showPairSearch(session, { title, ranker }),
  });
  registerDatasetCommands(services, session, panel);

  if (root) {
    // After activation returns: reading 47k pairs takes about a second and must not delay the other features.
    const timer = setTimeout(() => {
      void vscode.window.withProgress({ location: { viewId: 'medqa.qaPairs' } }, () =>
        session.load().then(
          () => {
            if (session.pairs.length)
              log.info(
                `Dataset: ${fmt(session.pairs.length)} pairs from ${session.sources.length} source(s)`,
              );
          },
          (error: unknown) =>
            log.error(
              `Loading the dataset failed: ${error instanceof Error ? error.message : String(error)}`,
            ),
        ),
      );
    }, 0);
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  }
  updateView();
  return {
    session,
    tree,
    treeView,
    reveal,
    setSearchRanker: (next) => {
      ranker = next;
    },
  };
}
