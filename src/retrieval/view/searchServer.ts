/**
 * The ranker of "Search QA Pairs…": one `retrieve --serve` process of the preferred index, started on the first
 * search and reused until the index changes or the extension deactivates.
 */
import * as vscode from 'vscode';
import type { SearchRanker } from '../../dataset/view/searchPick';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython } from '../../trainer/view/trainerPython';
import { RetrievalClient, serveArgs } from '../client';
import { preferredIndex, type IndexEntry } from '../indexes';
import { ServerSlot } from '../serverSlot';
import { RETRIEVAL } from './buildIndex';
import type { IndexList } from './indexNodes';

/** The most hits a search asks for (the server's limit); filters then narrow them. */
const SEARCH_K = 100;

export type SearchClient = () => Promise<{ client: RetrievalClient; entry: IndexEntry } | undefined>;

/** The slot of the search server: Python from the trainer's setup, its log lines in the output channel. */
export function searchServerSlot(services: ExtensionServices): ServerSlot {
  const { context, log } = services;
  return new ServerSlot(async (indexDir) => {
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
}

/** The running server of the preferred index (started if needed); undefined without an index or trust. */
export function searchClientOf(indexes: IndexList, slot: ServerSlot): SearchClient {
  return async () => {
    const entry = preferredIndex(indexes.entries);
    // The server runs Python from the workspace's settings: never in an untrusted workspace.
    if (!entry || !vscode.workspace.isTrusted) return undefined;
    return { client: await slot.client(entry.paths.dir), entry };
  };
}

export function indexRanker(searchClient: SearchClient): SearchRanker {
  return {
    async rank(words) {
      const found = await searchClient();
      if (!found) return undefined;
      const result = await found.client.search({ query: words, k: SEARCH_K });
      return { ids: result.hits.map((hit) => hit.id), index: found.entry.paths.name };
    },
  };
}
