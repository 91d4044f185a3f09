import * as path from 'node:path';
import { evaluationHome, listEvaluations, type EvaluationEntry } from '../evaluation/evaluationFolder';
import { adoptLegacyEvaluations } from '../evaluation/importedRuns';
import { onnxRoot } from '../inference/exportIndex';
import type { RunInfo, RunRegistry } from '../runs/registry';
import { evaluationDirOfFile, isWithin, outermost } from './artifactPaths';
import { evaluationHomes } from './evaluationHomes';
import { ExportCatalog } from './exportCatalog';

/** What one batch of file events changed, beyond the runs (the registry tells its own listeners). */
export interface ArtifactChange {
  /** Evaluation folders whose files changed, each with the changed files (absolute paths). */
  readonly evaluations: ReadonlyMap<string, readonly string[]>;
  /** Something under `.medqa/onnx/` changed (the export catalog was rescanned). */
  readonly exports: boolean;
}

type Listener<T> = (value: T) => void;

/** The runs the registry knows; rescans once when it lists none yet (a picker used before the views loaded). */
export async function knownRuns(registry: RunRegistry): Promise<RunInfo[]> {
  const runs = registry.list();
  return runs.length > 0 ? runs : registry.refreshAll();
}

/**
 * The one index of run artefacts: runs and their checkpoints (the run registry), evaluations (of our runs, of
 * imported runs, of the Playground) and ONNX exports. Every view and command asks it; one debounced watcher
 * (artifacts/view/artifactWatcher.ts) watches `watchRoots()` and hands each batch of changed files to
 * `filesChanged`. (No vscode import.)
 */
export class ArtifactIndex {
  readonly exports: ExportCatalog;
  private readonly followed = new Map<string, number>();
  private readonly listeners = new Set<Listener<ArtifactChange>>();
  private readonly rootListeners = new Set<Listener<void>>();

  constructor(
    readonly runs: RunRegistry,
    private readonly workspaceRoot: () => string | undefined,
  ) {
    this.exports = new ExportCatalog(workspaceRoot);
  }

  knownRuns(): Promise<RunInfo[]> {
    return knownRuns(this.runs);
  }

  /** Where a run's evaluations are kept (see `evaluationHome`); throws for an imported run without a workspace. */
  evaluationHomeOf(runDir: string): string {
    return evaluationHome(this.runs.get(runDir) ?? { dir: runDir }, this.workspaceRoot());
  }

  /** Every evaluation: of known runs, imported runs, copied-in results and the Playground; newest first. */
  async evaluations(): Promise<EvaluationEntry[]> {
    const runs = await this.knownRuns();
    return listEvaluations(await evaluationHomes(runs, this.runs.directory, this.workspaceRoot()));
  }

  /** One run's evaluations (an imported run's are kept in the workspace), newest first. */
  async evaluationsOf(runDir: string): Promise<EvaluationEntry[]> {
    const home = this.evaluationHomeOf(runDir);
    const root = this.workspaceRoot();
    // An imported run's evaluations an older version kept by folder name move to its own folder first.
    if (this.runs.get(runDir)?.source === 'huggingface' && root)
      await adoptLegacyEvaluations(runDir, root).catch(() => 0);
    return listEvaluations([home]);
  }

  /** The folders the watcher watches: the workspace, the runs directory, tracked runs and followed folders. */
  watchRoots(): string[] {
    return outermost([
      this.workspaceRoot(),
      this.runs.directory,
      ...this.runs.trackedFolders,
      ...this.followed.keys(),
    ]);
  }

  /** Calls `listener` when `watchRoots()` may have changed (a folder followed or let go). */
  onDidChangeRoots(listener: Listener<void>): { dispose(): void } {
    this.rootListeners.add(listener);
    return { dispose: () => this.rootListeners.delete(listener) };
  }

  /** Watches `dir` (an evaluation shown from anywhere) and reports its changes until the handle is disposed. */
  follow(dir: string): { dispose(): void } {
    const key = path.resolve(dir);
    this.followed.set(key, (this.followed.get(key) ?? 0) + 1);
    this.rootsChanged();
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        const count = (this.followed.get(key) ?? 1) - 1;
        if (count > 0) this.followed.set(key, count);
        else this.followed.delete(key);
        this.rootsChanged();
      },
    };
  }

  onDidChange(listener: Listener<ArtifactChange>): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * One batch of changed files: each run they touch is brought up to date (a file of an unknown folder in the
   * runs directory rescans it), the export catalog is rescanned when `.medqa/onnx/` changed, and the listeners
   * learn which evaluations changed.
   */
  async filesChanged(files: readonly string[]): Promise<void> {
    const root = this.workspaceRoot();
    const runDirs = new Set<string>();
    let rescan = false;
    let exports = false;
    const evaluations = new Map<string, string[]>();
    for (const file of files) {
      const runDir = this.runs.runFolderOf(file);
      if (runDir && this.runs.get(runDir)) runDirs.add(runDir);
      else if (runDir) rescan = true;
      // An export's folders (`.medqa/onnx/base/<model>`) are not an evaluation's `base/` side.
      if (root && isWithin(onnxRoot(root), file)) {
        exports = true;
        continue;
      }
      const evaluation = evaluationDirOfFile(file, this.followed.keys());
      if (evaluation) evaluations.set(evaluation, [...(evaluations.get(evaluation) ?? []), file]);
    }
    if (rescan) await this.runs.refreshAll();
    else for (const dir of runDirs) await this.runs.refreshRun(dir);
    if (exports) await this.exports.refresh();
    if (evaluations.size === 0 && !exports) return;
    const change: ArtifactChange = { evaluations, exports };
    for (const listener of [...this.listeners]) listener(change);
  }

  private rootsChanged(): void {
    for (const listener of [...this.rootListeners]) listener();
  }
}
