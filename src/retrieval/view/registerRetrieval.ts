/**
 * Wires retrieval into VS Code: the index nodes in the QA Pairs view, Build/Rebuild/Open Manifest/Delete, and the
 * ranker of "Search QA Pairs…" (one `retrieve --serve` process, started on the first search and reused until the
 * index changes or the extension deactivates).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { DatasetApi } from '../../dataset/view/registerDataset';
import type { SearchRanker } from '../../dataset/view/searchPick';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython } from '../../trainer/view/trainerPython';
import { RetrievalClient, serveArgs } from '../client';
import { deleteIndex, preferredIndex, readIndex, indexPaths, type IndexEntry } from '../indexes';
import { ServerSlot } from '../serverSlot';
import { buildRetrievalIndex, RETRIEVAL, type BuildResult } from './buildIndex';
import { IndexList, IndexNode } from './indexNodes';
import { needsFirst, needsFolder } from '../../util/prerequisite';

/** The most hits a search asks for (the server's limit); filters then narrow them. */
const SEARCH_K = 100;

export interface RetrievalApi {
  readonly indexes: IndexList;
  /** The running server of the index search uses (started if needed); undefined when there is no index. */
  searchClient(): Promise<{ client: RetrievalClient; entry: IndexEntry } | undefined>;
}

export function registerRetrieval(services: ExtensionServices, dataset: DatasetApi): RetrievalApi {
  const { context, log } = services;
  const root = services.workspaceRoot() ?? '';
  const indexes = new IndexList(root, dataset.session);
  const slot = new ServerSlot(async (indexDir) => {
    const python = await trainerPython(services, { ...RETRIEVAL, action: 'search with the retrieval index' });
    if (!python) throw new Error('no Python with the trainer is set up');
    log.info(`Retrieval: serving ${indexDir}`);
    return RetrievalClient.start({
      python,
      args: serveArgs(indexDir),
      env: trainerEnv(context.extensionPath),
      onLog: (line) => log.info(`[retrieve] ${line}`),
    });
  });
  context.subscriptions.push(indexes, { dispose: () => void slot.reset() });
  dataset.tree.setLeadingNodes(() => indexes.nodes());
  context.subscriptions.push(indexes.onDidChange(() => dataset.tree.refreshLeading()));

  /** Re-reads the indexes; a server of a rebuilt, deleted or no longer preferred index goes. */
  const refresh = async (changedDir?: string) => {
    await indexes.refresh();
    const preferred = preferredIndex(indexes.entries);
    if (slot.indexDir && (slot.indexDir === changedDir || slot.indexDir !== preferred?.paths.dir))
      await slot.reset();
    void vscode.commands.executeCommand('setContext', 'medqa.hasRetrievalIndex', indexes.entries.length > 0);
  };

  const searchClient = async () => {
    const entry = preferredIndex(indexes.entries);
    // The server runs Python from the workspace's settings: never in an untrusted workspace.
    if (!entry || !vscode.workspace.isTrusted) return undefined;
    return { client: await slot.client(entry.paths.dir), entry };
  };
  const ranker: SearchRanker = {
    async rank(words) {
      const found = await searchClient();
      if (!found) return undefined;
      const result = await found.client.search({ query: words, k: SEARCH_K });
      return { ids: result.hits.map((hit) => hit.id), index: found.entry.paths.name };
    },
  };
  dataset.setSearchRanker(ranker);

  if (root) {
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(root, '.medqa/retrieval/*/manifest.json'),
    );
    // A build from the command line (or another window) shows up too.
    const changed = (uri: vscode.Uri) => void refresh(path.dirname(uri.fsPath));
    context.subscriptions.push(
      watcher,
      watcher.onDidCreate(changed),
      watcher.onDidChange(changed),
      watcher.onDidDelete(changed),
    );
    void refresh().catch((error: unknown) => log.warn(`Retrieval indexes: ${String(error)}`));
  }

  const build = (scope?: 'all' | 'train') =>
    buildRetrievalIndex(services, dataset.session, { scope }, (dir) => refresh(dir));

  services.registerCommand(
    Commands.retrievalBuildIndex,
    async (arg?: unknown): Promise<BuildResult | undefined> => {
      const scope = typeof arg === 'string' ? arg : (arg as { scope?: unknown } | undefined)?.scope;
      if (scope !== undefined && scope !== 'all' && scope !== 'train')
        throw new Error(`Unknown index scope "${String(scope)}": use "all" or "train".`);
      return build(scope);
    },
  );

  services.registerCommand(Commands.retrievalRebuildIndex, async (arg?: unknown) => {
    const entry = await entryOf(arg);
    if (!entry) return undefined;
    const scope = entry.record?.scope ?? (entry.paths.name.startsWith('train-') ? 'train' : 'all');
    return build(scope);
  });

  services.registerCommand(Commands.retrievalOpenManifest, async (arg?: unknown) => {
    const entry = await entryOf(arg);
    if (!entry) return;
    await vscode.window.showTextDocument(vscode.Uri.file(entry.paths.manifest), { preview: true });
  });

  services.registerCommand(Commands.retrievalDeleteIndex, async (arg?: unknown) => {
    const entry = await entryOf(arg);
    if (!entry) return false;
    const sure =
      (arg as { confirmed?: unknown } | undefined)?.confirmed === true ||
      (await vscode.window.showWarningMessage(
        `Delete the retrieval index "${entry.paths.name}"? The dataset is not touched; you can build it again.`,
        { modal: true },
        'Delete',
      )) === 'Delete';
    if (!sure) return false;
    if (slot.indexDir === entry.paths.dir) await slot.reset();
    await deleteIndex(entry.paths);
    await refresh(entry.paths.dir);
    return true;
  });

  /** The index a command is about: a tree node, `{name}`, a name, or the only/picked one. */
  async function entryOf(arg: unknown): Promise<IndexEntry | undefined> {
    if (!root) throw needsFolder('retrieval indexes live in its .medqa/retrieval/ folder');
    const name =
      arg instanceof IndexNode
        ? arg.entry.paths.name
        : typeof arg === 'string'
          ? arg
          : (arg as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string') return readIndex(indexPaths(root, name));
    await indexes.refresh();
    if (indexes.entries.length === 0)
      throw needsFirst('buildRetrievalIndex', 'There is no retrieval index yet: build one first.');
    if (indexes.entries.length === 1) return indexes.entries[0];
    const picked = await vscode.window.showQuickPick(
      indexes.entries.map((entry) => ({ label: entry.paths.name, entry })),
      { title: 'Which retrieval index?' },
    );
    return picked?.entry;
  }

  return { indexes, searchClient };
}
