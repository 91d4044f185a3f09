/**
 * Wires the dataset feature into VS Code: the session, the QA Pairs tree, pair documents, the dataset panel and the
 * commands. Activation only registers things; the workspace's sources load afterwards, asynchronously.
 */
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../vscode/services';
import { fmt, type DatasetCommandContext } from './commandContext';
import { registerCurationCommands } from './curationCommands';
import { registerDatasetCommands } from './datasetCommands';
import { DatasetPanel } from './datasetPanel';
import { watchOverlayFile } from './overlayWatcher';
import { registerPairDocuments } from './pairDocuments';
import { PairTreeProvider } from './pairTree';
import type { TreeNode } from '../../vscode/treeNode';
import { showPairSearch, type SearchRanker } from './searchPick';
import { DatasetSession } from './session';
import { sourcePolicy } from '../sourcePolicy';
import { setting } from '../../vscode/settings';
import { describeView } from './viewCommands';
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

/** The session of the workspace's sources: imports run in a worker thread, untrusted sources wait for trust. */
function createSession(services: ExtensionServices): DatasetSession {
  const { context } = services;
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
  return session;
}

/** Loads the workspace's sources after activation returns: reading 47k pairs takes about a second and must not
 * delay the other features. */
function loadAfterActivation({ context, log }: ExtensionServices, session: DatasetSession): void {
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: { viewId: 'medqa.qaPairs' } }, () =>
      session.load().then(
        () => {
          if (session.pairs.length)
            log.info(`Dataset: ${fmt(session.pairs.length)} pairs from ${session.sources.length} source(s)`);
        },
        (error: unknown) =>
          log.error(`Loading the dataset failed: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
}

export function registerDataset(services: ExtensionServices): DatasetApi {
  const { context, log } = services;
  const session = createSession(services);
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

  const commands: DatasetCommandContext = {
    services,
    session,
    panel,
    tree,
    treeView,
    ranker: undefined,
    async reveal(pairId, options = {}) {
      const node = tree.nodeForPair(pairId);
      if (!node) throw new Error(`No pair with id ${pairId} is loaded.`);
      await treeView.reveal(node, { select: true, focus: options.focus ?? false, expand: true });
    },
    updateView: () => describeView(session, tree, treeView),
  };
  const subscription = session.onDidChange(commands.updateView);
  context.subscriptions.push({ dispose: () => subscription.dispose() });
  registerDatasetCommands(commands);
  registerCurationCommands(services, {
    session,
    treeView,
    pickPair: (title) => showPairSearch(session, { title, ranker: commands.ranker }),
  });

  if (services.workspaceRoot()) loadAfterActivation(services, session);
  commands.updateView();
  return {
    session,
    tree,
    treeView,
    reveal: (pairId, options) => commands.reveal(pairId, options),
    setSearchRanker: (next) => {
      commands.ranker = next;
    },
  };
}
