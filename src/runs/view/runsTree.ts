import * as vscode from 'vscode';
import { CheckpointsSelection } from '../checkpointsSelection';
import type { RunInfo, RunRegistry } from '../registry';
import {
  checkpointNodes,
  factNodes,
  RunNode,
  type CheckpointNode,
  type FactNode,
  type OnnxExportNode,
  type RunsTreeData,
  type ShownExport,
} from './runNodes';

export type RunsTreeElement = RunNode | FactNode;
export type CheckpointsTreeElement = RunNode | CheckpointNode | OnnxExportNode;

/** Where the Checkpoints view learns about ONNX exports (the artefact index's export catalog). */
export interface CheckpointExports {
  of(checkpointPath: string): readonly ShownExport[];
  onDidChange(listener: () => void): { dispose(): void };
}

/** The Runs view: one item per run (newest first), its key facts as children. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };
  private readonly data: RunsTreeData;

  constructor(private readonly registry: RunRegistry) {
    this.data = { registry, selectedRun: () => undefined, exportsOf: () => [] };
    this.subscription = registry.onDidChange(() => this.changed.fire(undefined));
  }

  /** A run's node (what `reveal` is given). */
  nodeOf(run: RunInfo): RunNode {
    return new RunNode(this.data, run, 'facts');
  }

  getChildren(element?: RunsTreeElement): RunsTreeElement[] {
    if (!element) return this.registry.list().map((run) => new RunNode(this.data, run, 'facts'));
    // A run node from either view lists its facts here.
    return element.kind === 'run' ? factNodes(this.data, element.run) : [];
  }

  getTreeItem(element: RunsTreeElement): vscode.TreeItem {
    return element.treeItem();
  }

  getParent(element: RunsTreeElement): RunsTreeElement | undefined {
    return element.parent;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The Checkpoints view: the selected run's adapters, or every run's grouped by run when none is selected. */
export class CheckpointsTreeProvider
  implements vscode.TreeDataProvider<CheckpointsTreeElement>, vscode.Disposable
{
  private readonly changed = new vscode.EventEmitter<CheckpointsTreeElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };
  /** The run shown; the view's heading is read from the same object (runsViews.ts), so both always agree. */
  readonly selection: CheckpointsSelection;
  private exports: CheckpointExports | undefined;
  private exportsSubscription: { dispose(): void } | undefined;
  private readonly data: RunsTreeData;

  constructor(private readonly registry: RunRegistry) {
    this.selection = new CheckpointsSelection(registry);
    this.subscription = this.selection.onDidChange(() => this.changed.fire(undefined));
    this.data = {
      registry,
      selectedRun: () => this.selectedRun,
      exportsOf: (checkpointPath) => this.exports?.of(checkpointPath) ?? [],
    };
  }

  /** Shows each checkpoint's ONNX exports under it. */
  setExports(exports: CheckpointExports): void {
    this.exportsSubscription?.dispose();
    this.exports = exports;
    this.exportsSubscription = exports.onDidChange(() => this.changed.fire(undefined));
    this.changed.fire(undefined);
  }

  get selectedRun(): string | undefined {
    return this.selection.scope().runDir;
  }

  select(runDir: string | undefined): void {
    this.selection.select(runDir);
  }

  getChildren(element?: CheckpointsTreeElement): CheckpointsTreeElement[] {
    // A run node from either view lists its checkpoints here.
    if (element?.kind === 'run') return checkpointNodes(this.data, element.runDir);
    if (element) return element.children();
    const runDir = this.selectedRun;
    if (runDir) return checkpointNodes(this.data, runDir);
    return this.registry
      .list()
      .filter((run) => run.checkpoints.length > 0)
      .map((run) => new RunNode(this.data, run, 'checkpoints'));
  }

  getTreeItem(element: CheckpointsTreeElement): vscode.TreeItem {
    return element.treeItem();
  }

  getParent(element: CheckpointsTreeElement): CheckpointsTreeElement | undefined {
    return element.parent;
  }

  dispose(): void {
    this.subscription.dispose();
    this.selection.dispose();
    this.exportsSubscription?.dispose();
    this.changed.dispose();
  }
}
