import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointExports } from '../../runs/view/runsTree';
import {
  baseExportOf,
  discoverExports,
  exportsOfCheckpoint,
  ONNX_DIR,
  madeFrom,
  type ExportProblem,
  type ExportSummary,
} from '../exportIndex';
import { readExport } from '../exportReader';
import type { PlaygroundSide } from '../../protocol/playground';

/**
 * The workspace's ONNX exports, kept up to date by a file watcher on `.medqa/onnx/`: the Checkpoints view shows
 * them under their checkpoints, the playground and the export command look them up here.
 */
export class OnnxExports implements CheckpointExports, vscode.Disposable {
  private exports: ExportSummary[] = [];
  private broken: ExportProblem[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private lastScan = '';

  constructor(private readonly workspaceRoot: () => string | undefined) {
    const root = workspaceRoot();
    if (root) {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(root), `${ONNX_DIR.split(path.sep).join('/')}/**`),
      );
      const later = () => this.scheduleRefresh();
      this.disposables.push(
        watcher,
        watcher.onDidCreate(later),
        watcher.onDidChange(later),
        watcher.onDidDelete(later),
      );
    }
  }

  onDidChange(listener: () => void): { dispose(): void } {
    return this.changed.event(listener);
  }

  get all(): readonly ExportSummary[] {
    return this.exports;
  }

  get problems(): readonly ExportProblem[] {
    return this.broken;
  }

  of(checkpointPath: string): readonly ExportSummary[] {
    return exportsOfCheckpoint(this.exports, checkpointPath);
  }

  baseOf(model: string): ExportSummary | undefined {
    return baseExportOf(this.exports, model, this.workspaceRoot());
  }

  private scheduleRefresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, 300);
  }

  /** Rescans `.medqa/onnx/` (one scan at a time) and tells the views. */
  refresh(): Promise<void> {
    this.scanning = this.scanning.then(async () => {
      const root = this.workspaceRoot();
      const found = root ? await discoverExports(root) : { exports: [], problems: [] };
      // Only a real change is announced: listeners (the playground) look exports up again, which rescans.
      const key = JSON.stringify(found);
      if (key === this.lastScan) return;
      this.lastScan = key;
      this.exports = found.exports;
      this.broken = found.problems;
      this.changed.fire();
    });
    return this.scanning;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
  }
}

/** An export folder checked by the export reader: null when usable, else what is wrong with it (naming the file). */
async function exportProblem(dir: string): Promise<string | null> {
  try {
    await readExport(dir);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The exports the playground answers with for a checkpoint: its own (matched by the manifest's adapter path)
 * and its base model's, each checked by the export reader. Missing or mismatched ones come back as problems.
 */
export async function usableExports(
  exports: OnnxExports,
  target: { checkpoint: string; model: string },
): Promise<{ exports: Record<PlaygroundSide, string | null>; problems: string[] }> {
  await exports.refresh();
  const problems: string[] = [];
  const name = path.basename(target.checkpoint);
  const found: Record<PlaygroundSide, string | null> = { base: null, adapter: null };
  const adapter = exports.of(target.checkpoint)[0];
  if (!adapter) problems.push(`${name} has no ONNX export yet: run "MedQA: Export Checkpoint to ONNX".`);
  else if (!madeFrom(adapter, target.model))
    problems.push(
      `The export of ${name} was made from ${adapter.model}, not from its run's model ${target.model}.`,
    );
  else found.adapter = adapter.dir;
  const base = exports.baseOf(target.model);
  if (!base)
    problems.push(`The base model ${target.model} has no ONNX export yet (the export command makes it).`);
  else found.base = base.dir;
  for (const side of ['adapter', 'base'] as const) {
    const dir = found[side];
    const problem = dir ? await exportProblem(dir) : null;
    if (problem) {
      problems.push(`${side === 'base' ? 'Base model export' : `Export of ${name}`}: ${problem}`);
      found[side] = null;
    }
  }
  return { exports: found, problems };
}
