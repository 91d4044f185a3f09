/**
 * Wires retrieval into VS Code: the index nodes in the QA Pairs view, Build/Rebuild/Open Manifest/Delete, and the
 * ranker of "Search QA Pairs…" (one `retrieve --serve` process, started on the first search and reused until the
 * index changes or the extension deactivates).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetApi } from '../../dataset/view/registerDataset';
import { watchDebounced } from '../../vscode/fileWatcher';
import type { ExtensionServices } from '../../vscode/services';
import { preferredIndex } from '../indexes';
import { registerIndexCommands } from './indexCommands';
import { IndexList } from './indexNodes';
import { indexRanker, searchClientOf, searchServerSlot, type SearchClient } from './searchServer';

/** A build writes its manifest once; a copy or checkout may touch several: one refresh per index. */
const MANIFEST_DELAY_MS = 100;

export interface RetrievalApi {
  readonly indexes: IndexList;
  /** The running server of the index search uses (started if needed); undefined when there is no index. */
  searchClient: SearchClient;
}

export function registerRetrieval(services: ExtensionServices, dataset: DatasetApi): RetrievalApi {
  const { context, log } = services;
  const root = services.workspaceRoot() ?? '';
  const indexes = new IndexList(root, dataset.session);
  const slot = searchServerSlot(services);
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

  const searchClient = searchClientOf(indexes, slot);
  dataset.setSearchRanker(indexRanker(searchClient));

  if (root) {
    // A build from the command line (or another window) shows up too: each changed index is read again once.
    const changed = async (files: readonly string[]) => {
      for (const dir of new Set(files.map((file) => path.dirname(file)))) await refresh(dir);
    };
    context.subscriptions.push(
      watchDebounced(root, '.medqa/retrieval/*/manifest.json', { delayMs: MANIFEST_DELAY_MS }, (files) => {
        changed(files).catch((error: unknown) => log.warn(`Retrieval indexes: ${String(error)}`));
      }),
    );
    void refresh().catch((error: unknown) => log.warn(`Retrieval indexes: ${String(error)}`));
  }

  registerIndexCommands({ services, session: dataset.session, root, indexes, slot, refresh });
  return { indexes, searchClient };
}
