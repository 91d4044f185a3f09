/**
 * What the dataset's command modules are given (instead of one closure over everything), and the cancellable
 * progress their long steps share.
 */
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../vscode/services';
import { needsFolder } from '../../util/prerequisite';
import type { DatasetPanel } from './datasetPanel';
import type { PairTreeProvider } from './pairTree';
import type { TreeNode } from '../../vscode/treeNode';
import type { SearchRanker } from './searchPick';
import type { DatasetSession } from './session';
import { CancelledError } from './workerClient';

export interface DatasetCommandContext {
  readonly services: ExtensionServices;
  readonly session: DatasetSession;
  readonly panel: DatasetPanel;
  readonly tree: PairTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  /** Ranks "Search QA Pairs…" (the retrieval index); undefined: substring search. */
  ranker: SearchRanker | undefined;
  /** Reveals a pair in the tree (selecting it). */
  reveal(pairId: string, options?: { focus?: boolean }): Promise<void>;
  /** Shows the tree view's message and description for the session's state. */
  updateView(): void;
}

export const fmt = (n: number) => n.toLocaleString('en-US');

/** Runs `task` with a cancellable notification; resolves undefined when the user cancelled. */
export async function withCancellableProgress<T>(
  title: string,
  task: (
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    signal: AbortSignal,
  ) => Promise<T>,
): Promise<T | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MedQA: ${title}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const subscription = token.onCancellationRequested(() => abort.abort());
      try {
        return await task(progress, abort.signal);
      } catch (error) {
        if (abort.signal.aborted || error instanceof CancelledError) {
          void vscode.window.showInformationMessage(`MedQA: ${title.replace(/…$/, '')}: cancelled.`);
          return undefined;
        }
        throw error;
      } finally {
        subscription.dispose();
      }
    },
  );
}

export function workspaceRootOrThrow(services: ExtensionServices): string {
  const root = services.workspaceRoot();
  if (!root) throw needsFolder();
  return root;
}
