import * as vscode from 'vscode';
import type { CheckpointsTreeElement, CheckpointsTreeProvider, RunsTreeProvider } from './runsTree';

/** What `medqa.runs.refresh` returns: the Runs view as rendered (labels, descriptions, context values). */
export interface RunsViewSnapshot {
  runs: {
    dir: string;
    name: string;
    status: string;
    label: string;
    description: string;
    contextValue: string;
    icon: string;
    facts: { label: string; description: string }[];
    checkpoints: {
      label: string;
      description: string;
      contextValue: string;
      path: string;
      /** The ONNX exports shown under the checkpoint. */
      exports: { label: string; description: string; contextValue: string; path: string }[];
    }[];
  }[];
}

export function snapshotViews(
  runs: RunsTreeProvider,
  checkpoints: CheckpointsTreeProvider,
): RunsViewSnapshot {
  const text = (value: string | vscode.TreeItemLabel | boolean | undefined) =>
    typeof value === 'string' ? value : typeof value === 'object' ? value.label : '';
  return {
    runs: runs.getChildren().flatMap((element) => {
      if (element.kind !== 'run') return [];
      const item = runs.getTreeItem(element);
      const itemOf = (c: CheckpointsTreeElement) => {
        const tree = checkpoints.getTreeItem(c);
        return {
          label: text(tree.label),
          description: text(tree.description),
          contextValue: tree.contextValue ?? '',
          path: tree.resourceUri?.fsPath ?? '',
        };
      };
      return [
        {
          dir: element.runDir,
          name: element.run.name,
          status: element.run.status,
          label: text(item.label),
          description: text(item.description),
          contextValue: item.contextValue ?? '',
          icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
          facts: runs.getChildren(element).map((fact) => {
            const factItem = runs.getTreeItem(fact);
            return { label: text(factItem.label), description: text(factItem.description) };
          }),
          checkpoints: checkpoints.getChildren(element).map((c) => ({
            ...itemOf(c),
            exports: checkpoints.getChildren(c).map(itemOf),
          })),
        },
      ];
    }),
  };
}
