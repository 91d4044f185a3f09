import * as vscode from 'vscode';
import { Batcher } from '../../util/batcher';
import { watchInto } from '../../vscode/fileWatcher';
import type { ArtifactIndex } from '../artifactIndex';

/** Bursts (a trainer logging, an evaluation writing its sides, an export's files) become one refresh. */
const DELAY_MS = 150;

/**
 * The one watcher of run artefacts: file events under the index's roots (the workspace, the runs directory,
 * tracked runs, followed evaluations) are gathered for a moment and handed to `ArtifactIndex.filesChanged`.
 */
export class ArtifactWatcher implements vscode.Disposable {
  private readonly batch: Batcher<string>;
  private readonly subscriptions: { dispose(): void }[];
  private watchers: vscode.Disposable[] = [];
  private watched = '';

  constructor(
    private readonly index: ArtifactIndex,
    log: vscode.LogOutputChannel,
  ) {
    this.batch = new Batcher(DELAY_MS, (files) => {
      index
        .filesChanged(files)
        .catch((error: unknown) => log.warn(`artifacts: refresh failed: ${String(error)}`));
    });
    this.subscriptions = [
      index.onDidChangeRoots(() => this.update()),
      index.runs.onDidChange(() => this.update()),
    ];
    this.update();
  }

  /** Watches the index's roots as they are now (after the runs directory or the tracked runs changed). */
  update(): void {
    const roots = this.index.watchRoots();
    if (roots.join('\n') === this.watched) return;
    this.watchers.forEach((w) => w.dispose());
    this.watched = roots.join('\n');
    this.watchers = roots.map((root) => watchInto(root, '**', this.batch));
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.watchers.forEach((w) => w.dispose());
    this.batch.dispose();
  }
}
