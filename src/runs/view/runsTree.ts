import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { CheckpointInfo } from '../checkpoints';
import { CheckpointsSelection } from '../checkpointsSelection';
import type { RunInfo, RunRegistry } from '../registry';
import { formatLoss } from '../runState';
import { formatBytes } from '../../util/bytes';
import {
  isReadOnlyRun,
  modelName,
  runDescription,
  runFacts,
  runLabel,
  runTooltip,
  STATUS_ICONS,
  type Fact,
} from './runItems';

/**
 * Elements of the Runs and Checkpoints trees. Commands from their context menus receive these objects:
 * `{ kind: 'checkpoint', path, runDir, model, step, … }` is what "Evaluate checkpoint" gets.
 */
export interface RunElement {
  kind: 'run';
  runDir: string;
  run: RunInfo;
}
export interface FactElement {
  kind: 'fact';
  runDir: string;
  fact: Fact;
}
export interface CheckpointElement {
  kind: 'checkpoint';
  runDir: string;
  /** Absolute path of the adapter folder. */
  path: string;
  /** Base model the adapter belongs to (run config `model_name_or_path`). */
  model?: string;
  step: number | null;
  isBest: boolean;
  checkpoint: CheckpointInfo;
}
/** An ONNX export of a checkpoint (matched by its manifest's adapter path), shown under the checkpoint. */
export interface OnnxExportElement {
  kind: 'onnxExport';
  runDir: string;
  /** The checkpoint folder it was exported from. */
  checkpointPath: string;
  /** The export folder. */
  path: string;
  bytes: number;
  createdAt: string | null;
}
export type RunsTreeElement = RunElement | FactElement;
export type CheckpointsTreeElement = RunElement | CheckpointElement | OnnxExportElement;

/** Where the Checkpoints view learns about ONNX exports (the inference feature provides it). */
export interface CheckpointExports {
  of(checkpointPath: string): readonly { dir: string; bytes: number; createdAt: string | null }[];
  onDidChange(listener: () => void): { dispose(): void };
}

export function runElement(run: RunInfo): RunElement {
  return { kind: 'run', runDir: run.dir, run };
}

function runTreeItem(run: RunInfo, collapsible: vscode.TreeItemCollapsibleState): vscode.TreeItem {
  const item = new vscode.TreeItem(runLabel(run), collapsible);
  item.id = `run:${run.dir}`;
  item.description = runDescription(run);
  item.tooltip = runTooltip(run);
  const icon = STATUS_ICONS[run.status];
  item.iconPath = new vscode.ThemeIcon(icon.id, new vscode.ThemeColor(icon.color));
  // Imported runs get their own prefix: menus for training actions (Resume, Cancel, Delete) never match them.
  item.contextValue = isReadOnlyRun(run) ? `medqa.run.imported.${run.status}` : `medqa.run.${run.status}`;
  item.resourceUri = vscode.Uri.file(run.dir);
  item.command = {
    command: Commands.runsOpenDashboard,
    title: 'Open Run Dashboard',
    arguments: [runElement(run)],
  };
  return item;
}

/** The Runs view: one item per run (newest first), its key facts as children. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly registry: RunRegistry) {
    this.subscription = registry.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(element?: RunsTreeElement): RunsTreeElement[] {
    if (!element) return this.registry.list().map(runElement);
    if (element.kind !== 'run') return [];
    const run = this.registry.get(element.runDir) ?? element.run;
    return runFacts(run).map((fact) => ({ kind: 'fact', runDir: run.dir, fact }));
  }

  getTreeItem(element: RunsTreeElement): vscode.TreeItem {
    if (element.kind === 'run') {
      return runTreeItem(
        this.registry.get(element.runDir) ?? element.run,
        vscode.TreeItemCollapsibleState.Collapsed,
      );
    }
    const { fact } = element;
    const item = new vscode.TreeItem(fact.label, vscode.TreeItemCollapsibleState.None);
    item.id = `fact:${element.runDir}:${fact.key}`;
    item.description = fact.value;
    item.tooltip = fact.tooltip ?? fact.value;
    item.contextValue = `medqa.runFact.${fact.key}`;
    if (fact.key === 'error')
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    if (fact.key.startsWith('notice'))
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    if (fact.file) {
      item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(fact.file)] };
    }
    return item;
  }

  getParent(element: RunsTreeElement): RunsTreeElement | undefined {
    if (element.kind === 'run') return undefined;
    const run = this.registry.get(element.runDir);
    return run ? runElement(run) : undefined;
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
  /** The run shown; the view's heading is read from the same object (registerRuns), so both always agree. */
  readonly selection: CheckpointsSelection;
  private exports: CheckpointExports | undefined;
  private exportsSubscription: { dispose(): void } | undefined;

  constructor(private readonly registry: RunRegistry) {
    this.selection = new CheckpointsSelection(registry);
    this.subscription = this.selection.onDidChange(() => this.changed.fire(undefined));
  }

  /** Shows each checkpoint's ONNX exports under it. */
  setExports(exports: CheckpointExports): void {
    this.exportsSubscription?.dispose();
    this.exports = exports;
    this.exportsSubscription = exports.onDidChange(() => this.changed.fire(undefined));
    this.changed.fire(undefined);
  }

  private exportsOf(element: CheckpointElement): OnnxExportElement[] {
    return (this.exports?.of(element.path) ?? []).map((e) => ({
      kind: 'onnxExport',
      runDir: element.runDir,
      checkpointPath: element.path,
      path: e.dir,
      bytes: e.bytes,
      createdAt: e.createdAt,
    }));
  }

  get selectedRun(): string | undefined {
    return this.selection.scope().runDir;
  }

  select(runDir: string | undefined): void {
    this.selection.select(runDir);
  }

  getChildren(element?: CheckpointsTreeElement): CheckpointsTreeElement[] {
    if (element?.kind === 'onnxExport') return [];
    if (element?.kind === 'checkpoint') return this.exportsOf(element);
    const runDir = element?.runDir ?? this.selectedRun;
    if (runDir) {
      const run = this.registry.get(runDir);
      return run ? [...run.checkpoints].reverse().map((c) => checkpointElement(run, c)) : [];
    }
    return this.registry
      .list()
      .filter((run) => run.checkpoints.length > 0)
      .map(runElement);
  }

  getTreeItem(element: CheckpointsTreeElement): vscode.TreeItem {
    if (element.kind === 'run') {
      return runTreeItem(
        this.registry.get(element.runDir) ?? element.run,
        vscode.TreeItemCollapsibleState.Expanded,
      );
    }
    if (element.kind === 'onnxExport') return onnxExportItem(element);
    const { checkpoint } = element;
    // An imported run's checkpoint without adapter weights is not being saved: it has none (a full-model or stripped checkpoint).
    const run = this.registry.get(element.runDir);
    const missingWeights = !checkpoint.complete && run !== undefined && isReadOnlyRun(run);
    const label = checkpoint.kind === 'final' ? 'adapter (final)' : checkpoint.name;
    const hasExports = this.exportsOf(element).length > 0;
    const item = new vscode.TreeItem(
      label,
      hasExports ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    // A checkpoint that gains an export gets a new id: the view remembers an id's collapsed state, and would keep
    // the item it knew without children collapsed, hiding the new export.
    item.id = `checkpoint:${checkpoint.path}${hasExports ? ':onnx' : ''}`;
    const parts: string[] = [];
    if (checkpoint.step !== null) parts.push(`step ${checkpoint.step}`);
    if (checkpoint.evalLoss !== null) parts.push(`eval ${formatLoss(checkpoint.evalLoss)}`);
    if (checkpoint.isBest) parts.push('best');
    if (!checkpoint.complete) parts.push(missingWeights ? 'no adapter weights' : 'saving…');
    item.description = parts.join(' · ');
    item.tooltip = `${checkpoint.path}${checkpoint.isBest ? '\nLowest eval loss of this run' : ''}`;
    item.iconPath = new vscode.ThemeIcon(
      !checkpoint.complete
        ? missingWeights
          ? 'circle-slash'
          : 'loading~spin'
        : checkpoint.isBest
          ? 'star-full'
          : checkpoint.kind === 'final'
            ? 'package'
            : 'save',
      checkpoint.isBest ? new vscode.ThemeColor('charts.yellow') : undefined,
    );
    item.resourceUri = vscode.Uri.file(checkpoint.path);
    item.contextValue = checkpoint.complete
      ? 'medqa.checkpoint'
      : missingWeights
        ? 'medqa.checkpoint.incomplete'
        : 'medqa.checkpoint.saving';
    return item;
  }

  getParent(element: CheckpointsTreeElement): CheckpointsTreeElement | undefined {
    if (element.kind === 'onnxExport') {
      const run = this.registry.get(element.runDir);
      const checkpoint = run?.checkpoints.find((c) => c.path === element.checkpointPath);
      return run && checkpoint ? checkpointElement(run, checkpoint) : undefined;
    }
    if (element.kind === 'run' || this.selectedRun) return undefined;
    const run = this.registry.get(element.runDir);
    return run ? runElement(run) : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.selection.dispose();
    this.exportsSubscription?.dispose();
    this.changed.dispose();
  }
}

function onnxExportItem(element: OnnxExportElement): vscode.TreeItem {
  const item = new vscode.TreeItem('ONNX', vscode.TreeItemCollapsibleState.None);
  item.id = `onnx:${element.path}`;
  item.description = [
    formatBytes(element.bytes),
    element.createdAt ? new Date(element.createdAt).toLocaleString() : '',
  ]
    .filter(Boolean)
    .join(' · ');
  item.tooltip = `ONNX export of ${element.checkpointPath}\n${element.path}`;
  item.iconPath = new vscode.ThemeIcon('symbol-event');
  item.resourceUri = vscode.Uri.file(element.path);
  item.contextValue = 'medqa.onnxExport';
  item.command = {
    command: Commands.inferenceOpenPlayground,
    title: 'Open Playground',
    arguments: [element],
  };
  return item;
}

export function checkpointElement(run: RunInfo, checkpoint: CheckpointInfo): CheckpointElement {
  return {
    kind: 'checkpoint',
    runDir: run.dir,
    path: checkpoint.path,
    model: modelName(run),
    step: checkpoint.step,
    isBest: checkpoint.isBest,
    checkpoint,
  };
}

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
