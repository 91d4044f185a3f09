import {
  baseExportOf,
  discoverExports,
  exportsOfCheckpoint,
  type ExportProblem,
  type ExportSummary,
} from '../inference/exportIndex';

/**
 * The workspace's ONNX exports (`.medqa/onnx/`), as last scanned: the Checkpoints view shows them under their
 * checkpoints, the Playground and the export command look them up here. The artefact index rescans it when a
 * file under `.medqa/onnx/` changes. (No vscode import.)
 */
export class ExportCatalog {
  private exports: ExportSummary[] = [];
  private broken: ExportProblem[] = [];
  private readonly listeners = new Set<() => void>();
  private scanning: Promise<void> = Promise.resolve();
  private lastScan = '';

  constructor(private readonly workspaceRoot: () => string | undefined) {}

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
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

  /** The base model's fp32 export, or of the given quantisation. */
  baseOf(model: string, quantization: ExportSummary['quantization'] = null): ExportSummary | undefined {
    return baseExportOf(this.exports, model, this.workspaceRoot(), quantization);
  }

  /** Rescans `.medqa/onnx/` (one scan at a time) and tells the listeners when something changed. */
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
      for (const listener of [...this.listeners]) listener();
    });
    return this.scanning;
  }
}
