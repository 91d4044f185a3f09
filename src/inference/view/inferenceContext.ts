import type * as vscode from 'vscode';
import type { RunsFeature } from '../../runs/view/runsFeature';
import type { ExtensionServices } from '../../vscode/services';
import { InferenceEngine } from '../engine';
import type { ExportCatalog } from '../../artifacts/exportCatalog';

/** The inference engine, its worker started on the first question only; disposed with the extension. */
export class LazyEngine {
  private engine: InferenceEngine | undefined;

  constructor(private readonly workerScript: string) {}

  get(): InferenceEngine {
    return (this.engine ??= new InferenceEngine({ workerScript: this.workerScript }));
  }

  /** Lets go of loaded exports (all, or the one folder) before they are replaced or deleted. */
  async unload(exportDir?: string): Promise<void> {
    await this.engine?.unload(exportDir);
  }

  dispose(): void {
    void this.engine?.dispose();
  }
}

/** What the inference commands share. */
export interface InferenceContext {
  readonly services: ExtensionServices;
  readonly runs: RunsFeature;
  readonly exports: ExportCatalog;
  readonly engine: LazyEngine;
  /** The "MedQA ONNX Export" output channel. */
  readonly output: vscode.OutputChannel;
}
