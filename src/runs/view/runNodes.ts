import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { formatBytes } from '../../util/bytes';
import { TreeNode } from '../../vscode/treeNode';
import type { CheckpointInfo } from '../checkpoints';
import type { RunInfo, RunRegistry } from '../registry';
import { formatLoss } from '../runState';
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

/** An ONNX export as the Checkpoints view shows it under its checkpoint. */
export interface ShownExport {
  dir: string;
  bytes: number;
  createdAt: string | null;
  /** int8 / int4 (`export-onnx --quantize`), null for fp32. */
  quantization: 'int8' | 'int4' | null;
}

/** What the nodes read when VS Code asks for their item or children: the registry as it is now, and the exports. */
export interface RunsTreeData {
  readonly registry: RunRegistry;
  /** The run the Checkpoints view is scoped to; undefined when it lists every run's checkpoints. */
  selectedRun(): string | undefined;
  exportsOf(checkpointPath: string): readonly ShownExport[];
}

/**
 * A run: in the Runs view with its key facts as children, in the Checkpoints view with its checkpoints.
 * Commands from the views' menus receive the nodes: `{ kind: 'run', runDir, run }` here.
 */
export class RunNode extends TreeNode {
  readonly kind = 'run';
  readonly runDir: string;
  readonly parent = undefined;

  constructor(
    private readonly data: RunsTreeData,
    readonly run: RunInfo,
    private readonly shows: 'facts' | 'checkpoints',
  ) {
    super();
    this.runDir = run.dir;
  }

  get id(): string {
    return `run:${this.runDir}`;
  }

  treeItem(): vscode.TreeItem {
    const run = this.data.registry.get(this.runDir) ?? this.run;
    const item = new vscode.TreeItem(
      runLabel(run),
      this.shows === 'facts'
        ? vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = this.id;
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
      arguments: [new RunNode(this.data, run, 'facts')],
    };
    return item;
  }

  children(): (FactNode | CheckpointNode)[] {
    return this.shows === 'facts' ? factNodes(this.data, this.run) : checkpointNodes(this.data, this.runDir);
  }
}

/** One key fact of a run (status, step, losses, best checkpoint, notices…) under it in the Runs view. */
export class FactNode extends TreeNode {
  readonly kind = 'fact';

  constructor(
    private readonly data: RunsTreeData,
    readonly runDir: string,
    readonly fact: Fact,
  ) {
    super();
  }

  get id(): string {
    return `fact:${this.runDir}:${this.fact.key}`;
  }

  get parent(): RunNode | undefined {
    const run = this.data.registry.get(this.runDir);
    return run ? new RunNode(this.data, run, 'facts') : undefined;
  }

  treeItem(): vscode.TreeItem {
    const { fact } = this;
    const item = new vscode.TreeItem(fact.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
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

  children(): never[] {
    return [];
  }
}

/** A run's key facts, from the registry's latest reading of it. */
export function factNodes(data: RunsTreeData, run: RunInfo): FactNode[] {
  const latest = data.registry.get(run.dir) ?? run;
  return runFacts(latest).map((fact) => new FactNode(data, latest.dir, fact));
}

/** The checkpoints of a run, newest first. */
export function checkpointNodes(data: RunsTreeData, runDir: string): CheckpointNode[] {
  const run = data.registry.get(runDir);
  return run ? [...run.checkpoints].reverse().map((c) => new CheckpointNode(data, run, c)) : [];
}

function checkpointIcon(checkpoint: CheckpointInfo, missingWeights: boolean): vscode.ThemeIcon {
  const id = !checkpoint.complete
    ? missingWeights
      ? 'circle-slash'
      : 'loading~spin'
    : checkpoint.isBest
      ? 'star-full'
      : checkpoint.kind === 'final'
        ? 'package'
        : 'save';
  return new vscode.ThemeIcon(id, checkpoint.isBest ? new vscode.ThemeColor('charts.yellow') : undefined);
}

/**
 * An adapter of a run; "Evaluate checkpoint" and the other checkpoint commands get
 * `{ kind: 'checkpoint', path, runDir, model, step, isBest, checkpoint }`.
 */
export class CheckpointNode extends TreeNode {
  readonly kind = 'checkpoint';
  readonly runDir: string;
  /** Absolute path of the adapter folder. */
  readonly path: string;
  /** Base model the adapter belongs to (run config `model_name_or_path`). */
  readonly model: string | undefined;
  readonly step: number | null;
  readonly isBest: boolean;

  constructor(
    private readonly data: RunsTreeData,
    run: RunInfo,
    readonly checkpoint: CheckpointInfo,
  ) {
    super();
    this.runDir = run.dir;
    this.path = checkpoint.path;
    this.model = modelName(run);
    this.step = checkpoint.step;
    this.isBest = checkpoint.isBest;
  }

  private get hasExports(): boolean {
    return this.data.exportsOf(this.path).length > 0;
  }

  // A checkpoint that gains an export gets a new id: the view remembers an id's collapsed state, and would keep
  // the item it knew without children collapsed, hiding the new export.
  get id(): string {
    return `checkpoint:${this.path}${this.hasExports ? ':onnx' : ''}`;
  }

  get parent(): RunNode | undefined {
    if (this.data.selectedRun()) return undefined;
    const run = this.data.registry.get(this.runDir);
    return run ? new RunNode(this.data, run, 'checkpoints') : undefined;
  }

  treeItem(): vscode.TreeItem {
    const { checkpoint } = this;
    // An imported run's checkpoint without adapter weights is not being saved: it has none (a full-model or stripped checkpoint).
    const run = this.data.registry.get(this.runDir);
    const missingWeights = !checkpoint.complete && run !== undefined && isReadOnlyRun(run);
    const label = checkpoint.kind === 'final' ? 'adapter (final)' : checkpoint.name;
    const item = new vscode.TreeItem(
      label,
      this.hasExports ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    const parts: string[] = [];
    if (checkpoint.step !== null) parts.push(`step ${checkpoint.step}`);
    if (checkpoint.evalLoss !== null) parts.push(`eval ${formatLoss(checkpoint.evalLoss)}`);
    if (checkpoint.isBest) parts.push('best');
    if (!checkpoint.complete) parts.push(missingWeights ? 'no adapter weights' : 'saving…');
    item.description = parts.join(' · ');
    item.tooltip = `${checkpoint.path}${checkpoint.isBest ? '\nLowest eval loss of this run' : ''}`;
    item.iconPath = checkpointIcon(checkpoint, missingWeights);
    item.resourceUri = vscode.Uri.file(checkpoint.path);
    item.contextValue = checkpoint.complete
      ? 'medqa.checkpoint'
      : missingWeights
        ? 'medqa.checkpoint.incomplete'
        : 'medqa.checkpoint.saving';
    return item;
  }

  children(): OnnxExportNode[] {
    return this.data
      .exportsOf(this.path)
      .map((e) => new OnnxExportNode(this.data, this.runDir, this.path, e));
  }
}

/** An ONNX export of a checkpoint (matched by its manifest's adapter path), shown under the checkpoint. */
export class OnnxExportNode extends TreeNode {
  readonly kind = 'onnxExport';
  /** The export folder. */
  readonly path: string;
  readonly bytes: number;
  readonly createdAt: string | null;
  readonly quantization: ShownExport['quantization'];

  constructor(
    private readonly data: RunsTreeData,
    readonly runDir: string,
    /** The checkpoint folder it was exported from. */
    readonly checkpointPath: string,
    shown: ShownExport,
  ) {
    super();
    this.path = shown.dir;
    this.bytes = shown.bytes;
    this.createdAt = shown.createdAt;
    this.quantization = shown.quantization;
  }

  get id(): string {
    return `onnx:${this.path}`;
  }

  get parent(): CheckpointNode | undefined {
    const run = this.data.registry.get(this.runDir);
    const checkpoint = run?.checkpoints.find((c) => c.path === this.checkpointPath);
    return run && checkpoint ? new CheckpointNode(this.data, run, checkpoint) : undefined;
  }

  treeItem(): vscode.TreeItem {
    // "ONNX int4": a checkpoint may have an fp32 export and quantised ones beside it.
    const label = this.quantization ? `ONNX ${this.quantization}` : 'ONNX';
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = [
      formatBytes(this.bytes),
      this.createdAt ? new Date(this.createdAt).toLocaleString() : '',
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = `${label} export of ${this.checkpointPath}${
      this.quantization ? ` (weights ${this.quantization}, checked against the fp32 export)` : ''
    }\n${this.path}`;
    item.iconPath = new vscode.ThemeIcon('symbol-event');
    item.resourceUri = vscode.Uri.file(this.path);
    item.contextValue = 'medqa.onnxExport';
    item.command = { command: Commands.inferenceOpenPlayground, title: 'Open Playground', arguments: [this] };
    return item;
  }

  children(): never[] {
    return [];
  }
}
