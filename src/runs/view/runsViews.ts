import * as vscode from 'vscode';
import type { RunRegistry } from '../registry';
import { CheckpointsTreeProvider, RunsTreeProvider, type RunsTreeElement } from './runsTree';

export interface RunsViews {
  readonly runsTree: RunsTreeProvider;
  readonly checkpointsTree: CheckpointsTreeProvider;
  readonly runsView: vscode.TreeView<RunsTreeElement>;
}

/** The Runs and Checkpoints views; selecting a run shows its checkpoints. */
export function createRunsViews(context: vscode.ExtensionContext, registry: RunRegistry): RunsViews {
  const runsTree = new RunsTreeProvider(registry);
  const checkpointsTree = new CheckpointsTreeProvider(registry);
  const runsView = vscode.window.createTreeView('medqa.runs', {
    treeDataProvider: runsTree,
    showCollapseAll: true,
    // Several runs can be selected to compare them (medqa.runs.compare).
    canSelectMany: true,
  });
  const checkpointsView = vscode.window.createTreeView('medqa.checkpoints', {
    treeDataProvider: checkpointsTree,
  });
  context.subscriptions.push(runsTree, checkpointsTree, runsView, checkpointsView);

  runsView.onDidChangeSelection((event) => {
    const element = event.selection[0];
    if (element) checkpointsTree.select(element.runDir);
  });
  // The heading and the items come from one scope, updated by the same event (a selection or a registry change).
  const updateCheckpointsMessage = () => {
    checkpointsView.message = checkpointsTree.selection.scope().heading;
  };
  context.subscriptions.push(checkpointsTree.selection.onDidChange(updateCheckpointsMessage));
  return { runsTree, checkpointsTree, runsView };
}
