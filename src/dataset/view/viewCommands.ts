/** What the QA Pairs view shows: its grouping, its message and description, and "Search QA Pairs…". */
import * as vscode from 'vscode';
import { fmt, type DatasetCommandContext } from './commandContext';
import { openPair } from './pairDocuments';
import type { Grouping } from './pairGroups';
import type { PairTreeProvider } from './pairTree';
import type { TreeNode } from '../../vscode/treeNode';
import { showPairSearch } from './searchPick';
import type { DatasetSession } from './session';

const GROUPING_NAMES: Record<Grouping, string> = {
  collection: 'by collection',
  qtype: 'by question type',
  split: 'by split',
};

/** Sets the context keys of the menus, and the view's message (loading, a load error) and description. */
export function describeView(
  session: DatasetSession,
  tree: PairTreeProvider,
  treeView: vscode.TreeView<TreeNode>,
): void {
  const loading = session.status === 'loading';
  void vscode.commands.executeCommand('setContext', 'medqa.dataset.loading', loading);
  void vscode.commands.executeCommand('setContext', 'medqa.hasDataset', session.pairs.length > 0);
  void vscode.commands.executeCommand('setContext', 'medqa.hasSplit', session.split !== undefined);
  treeView.message = loading
    ? 'Loading the dataset…'
    : session.loadError
      ? `$(error) ${session.loadError}`
      : undefined;
  treeView.description = session.pairs.length
    ? `${fmt(session.pairs.length)} pairs · ${GROUPING_NAMES[tree.grouping]}`
    : undefined;
}

export async function groupBy(context: DatasetCommandContext, grouping: Grouping): Promise<void> {
  await context.tree.setGrouping(grouping);
  context.updateView();
}

export async function groupBySplit(context: DatasetCommandContext): Promise<void> {
  if (!context.session.split)
    void vscode.window.showInformationMessage(
      'MedQA: no split yet; every pair is shown as "Not in split". Create one with "Create Split…".',
    );
  await groupBy(context, 'split');
}

/** "Search QA Pairs…" (optionally starting with some text): reveals and opens the chosen pair. */
export async function searchPairs(
  context: DatasetCommandContext,
  initial?: unknown,
): Promise<string | undefined> {
  const { session } = context;
  const pairId = await showPairSearch(session, {
    value: typeof initial === 'string' ? initial : undefined,
    ranker: context.ranker,
  });
  if (!pairId) return undefined;
  await context.reveal(pairId);
  await openPair(session, pairId, { preserveFocus: true });
  return pairId;
}
