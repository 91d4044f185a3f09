/** Build, Rebuild, Open Manifest and Delete of a retrieval index, given the few things they share. */
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { DatasetSession } from '../../dataset/view/session';
import { needsFirst, needsFolder } from '../../util/prerequisite';
import type { ExtensionServices } from '../../vscode/services';
import { deleteIndex, indexPaths, readIndex, type IndexEntry } from '../indexes';
import type { ServerSlot } from '../serverSlot';
import { buildRetrievalIndex, type BuildResult } from './buildIndex';
import { IndexNode, type IndexList } from './indexNodes';

export interface IndexCommandContext {
  readonly services: ExtensionServices;
  readonly session: DatasetSession;
  /** The workspace folder ('' without one). */
  readonly root: string;
  readonly indexes: IndexList;
  readonly slot: ServerSlot;
  /** Re-reads the indexes; the server of `changedDir` (or of an index no longer preferred) goes. */
  refresh(changedDir?: string): Promise<void>;
}

/** The index a command is about: a tree node, `{name}`, a name, or the only/picked one. */
async function entryOf(
  { root, indexes }: IndexCommandContext,
  arg: unknown,
): Promise<IndexEntry | undefined> {
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

function build(context: IndexCommandContext, scope?: 'all' | 'train'): Promise<BuildResult | undefined> {
  return buildRetrievalIndex(context.services, context.session, { scope }, (dir) => context.refresh(dir));
}

/** `arg` is a scope, `{scope}`, or nothing (then the scope is asked for). */
async function buildIndex(context: IndexCommandContext, arg?: unknown): Promise<BuildResult | undefined> {
  const scope = typeof arg === 'string' ? arg : (arg as { scope?: unknown } | undefined)?.scope;
  if (scope !== undefined && scope !== 'all' && scope !== 'train')
    throw new Error(`Unknown index scope "${String(scope)}": use "all" or "train".`);
  return build(context, scope);
}

async function rebuildIndex(context: IndexCommandContext, arg?: unknown): Promise<BuildResult | undefined> {
  const entry = await entryOf(context, arg);
  if (!entry) return undefined;
  const scope = entry.record?.scope ?? (entry.paths.name.startsWith('train-') ? 'train' : 'all');
  return build(context, scope);
}

async function openManifest(context: IndexCommandContext, arg?: unknown): Promise<void> {
  const entry = await entryOf(context, arg);
  if (!entry) return;
  await vscode.window.showTextDocument(vscode.Uri.file(entry.paths.manifest), { preview: true });
}

/** Deletes an index (after asking, unless `{confirmed: true}`); its server goes first. */
async function deleteIndexCommand(context: IndexCommandContext, arg?: unknown): Promise<boolean> {
  const entry = await entryOf(context, arg);
  if (!entry) return false;
  const sure =
    (arg as { confirmed?: unknown } | undefined)?.confirmed === true ||
    (await vscode.window.showWarningMessage(
      `Delete the retrieval index "${entry.paths.name}"? The dataset is not touched; you can build it again.`,
      { modal: true },
      'Delete',
    )) === 'Delete';
  if (!sure) return false;
  if (context.slot.indexDir === entry.paths.dir) await context.slot.reset();
  await deleteIndex(entry.paths);
  await context.refresh(entry.paths.dir);
  return true;
}

export function registerIndexCommands(context: IndexCommandContext): void {
  const { services } = context;
  services.registerCommand(Commands.retrievalBuildIndex, (arg?: unknown) => buildIndex(context, arg));
  services.registerCommand(Commands.retrievalRebuildIndex, (arg?: unknown) => rebuildIndex(context, arg));
  services.registerCommand(Commands.retrievalOpenManifest, (arg?: unknown) => openManifest(context, arg));
  services.registerCommand(Commands.retrievalDeleteIndex, (arg?: unknown) =>
    deleteIndexCommand(context, arg),
  );
}
