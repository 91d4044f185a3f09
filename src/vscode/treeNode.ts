import type * as vscode from 'vscode';

/**
 * The one base for the nodes of our tree views (QA Pairs, Runs, Checkpoints): each node knows its id (unique in
 * its tree), its parent, its tree item and its children, so a provider's getTreeItem/getChildren/getParent only
 * delegate. Commands from a view's menus receive these nodes as their argument.
 */
export abstract class TreeNode {
  abstract readonly id: string;
  abstract readonly parent: TreeNode | undefined;
  abstract treeItem(): vscode.TreeItem;
  abstract children(): TreeNode[];
}
