/**
 * The dataset as the VS Code views see it: the workspace's sources (imported together), the overlay, the last split
 * and the last duplicate scan, with one change event. No vscode import: commands, tree and panel adapt it.
 */
import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../../util/atomicFile';
import type { DuplicateGroup } from '../dedupe';
import { sourceHash } from '../hash';
import { importDatasets, type ImportOptions, type ImportProgress, type MultiImportResult } from '../import';
import type { ImportProblem, ImportResult, QaPair } from '../model';
import { OverlayStore, type CuratedPair, type OverlayChange } from '../overlay';
import { readSplit, type SplitFile } from '../split';
import { WorkspaceStore } from '../workspaceStore';
import { needsFolder } from '../../util/prerequisite';

/** An import problem with the absolute path of its file (when it names one), for "open at line". */
export interface ReportedProblem extends ImportProblem {
  path?: string;
  source?: string;
}

export interface DuplicateScan {
  format: 'medqa-duplicates';
  version: 1;
  createdAt: string;
  threshold: number;
  questions: DuplicateGroup[];
  answers: DuplicateGroup[];
}

export type SessionChange =
  | { kind: 'data' }
  | { kind: 'overlay'; change: OverlayChange }
  /** Pairs whose curation another window, the CLI or a `git pull` changed in `.medqa/overlay.json`. */
  | { kind: 'overlayExternal'; ids: readonly string[] }
  | { kind: 'split' }
  | { kind: 'duplicates' };

export type SessionStatus = 'empty' | 'loading' | 'ready';

type Listener = (change: SessionChange) => void;

export function duplicatesPath(workspaceDir: string): string {
  return path.join(workspaceDir, '.medqa', 'duplicates.json');
}

export class DatasetSession {
  status: SessionStatus = 'empty';
  /** Why the last load failed (shown in the tree and the panel), cleared by a successful load. */
  loadError: string | undefined;
  pairs: QaPair[] = [];
  sources: ImportResult[] = [];
  problems: ReportedProblem[] = [];
  split: SplitFile | undefined;
  duplicates: DuplicateScan | undefined;
  /** Bumped on every data reload; tree indexes are keyed by it. */
  version = 0;

  private indexById = new Map<string, number>();
  private splitById = new Map<string, string>();
  private duplicatesById = new Map<string, Set<string>>();
  private workspaceStore: WorkspaceStore | undefined;
  private overlayStore: OverlayStore | undefined;
  private overlaySubscriptions: { dispose(): void }[] = [];
  private readonly listeners = new Set<Listener>();
  private loading: Promise<void> | undefined;

  constructor(readonly workspaceDir: string) {}

  /**
   * Decides which recorded sources may be read (undefined: allowed, else why not). An untrusted workspace's
   * `.medqa/workspace.json` could list `/` or `~`; the view layer allows only the workspace folder, sources the
   * user picked in this window, or anything once the workspace is trusted.
   */
  sourcePolicy: (source: string) => string | undefined = () => undefined;

  /** Reads the sources; the view layer runs it in the dataset worker so parsing never blocks the extension host. */
  importer: (sources: string[], options: ImportOptions) => Promise<MultiImportResult> = importDatasets;

  /** Sources the user chose in this window (a dialog, a command argument): readable without trust. */
  readonly pickedSources = new Set<string>();

  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(change: SessionChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private requireFolder(): void {
    if (!this.workspaceDir) {
      throw needsFolder();
    }
  }

  async workspace(): Promise<WorkspaceStore> {
    this.requireFolder();
    return (this.workspaceStore ??= await WorkspaceStore.load(this.workspaceDir));
  }

  /** The overlay store (loaded once); throws OverlayFormatError for a file it must not overwrite. */
  async overlay(): Promise<OverlayStore> {
    if (!this.overlayStore) {
      this.requireFolder();
      const store = await OverlayStore.load(this.workspaceDir);
      this.overlayStore = store;
      this.overlaySubscriptions.push(
        store.onDidChange((change) => this.fire({ kind: 'overlay', change })),
        store.onDidChangeExternally((ids) => this.fire({ kind: 'overlayExternal', ids })),
      );
    }
    return this.overlayStore;
  }

  /**
   * Re-reads `.medqa/overlay.json` after it changed on disk (the view layer watches it). Not loaded yet: nothing to
   * do, the first load reads it. Throws OverlayFormatError for a file it cannot read (the last good state stays).
   */
  async reloadOverlay(): Promise<void> {
    await this.overlayStore?.reload();
  }

  /** The overlay when it is loaded (synchronous access for tree items). */
  get loadedOverlay(): OverlayStore | undefined {
    return this.overlayStore;
  }

  /** Loads everything recorded in `.medqa/` (sources, overlay, last split, duplicate scan). */
  load(
    options: { signal?: AbortSignal; onProgress?: (progress: ImportProgress) => void } = {},
  ): Promise<void> {
    const run = async () => {
      this.status = 'loading';
      this.fire({ kind: 'data' });
      try {
        const workspace = await this.workspace();
        await this.overlay();
        const refused = workspace.sources().flatMap((source) => {
          const why = this.sourcePolicy(source);
          return why ? [{ file: source, kind: 'unreadable' as const, message: why }] : [];
        });
        const allowed = workspace.sources().filter((source) => !refused.some((r) => r.file === source));
        const imported = await this.importer(allowed, options);
        this.setData(imported.sources, [...refused, ...imported.problems]);
        this.loadError = undefined;
        await this.loadSplit(workspace.lastSplit?.path).catch((error: Error) => {
          this.loadError = `The last split could not be read: ${error.message}`;
        });
        await this.loadDuplicates();
      } catch (error) {
        this.loadError = error instanceof Error ? error.message : String(error);
        throw error;
      } finally {
        this.status = this.pairs.length > 0 ? 'ready' : 'empty';
        this.version++;
        this.fire({ kind: 'data' });
      }
    };
    // One load at a time: a second call waits for the first and then loads again (sources may have changed).
    const next = (this.loading ?? Promise.resolve()).catch(() => undefined).then(run);
    this.loading = next;
    return next;
  }

  /** Resolves when no load is running (the result of the last one, if any). */
  whenLoaded(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  private setData(sources: ImportResult[], mergedProblems: ImportProblem[]): void {
    this.sources = sources;
    this.pairs = sources.flatMap((source) => source.pairs);
    this.indexById = new Map(this.pairs.map((pair, i) => [pair.id, i]));
    const located: ReportedProblem[] = [];
    for (const source of sources) {
      for (const problem of source.problems) {
        const absolute =
          problem.file === '.' ? source.root : path.resolve(fileRoot(source.root), problem.file);
        located.push({ ...problem, path: absolute, source: source.root });
      }
    }
    // importDatasets appends the cross-source id problems after every source's own.
    this.problems = [...located, ...mergedProblems.slice(located.length)];
  }

  private async loadSplit(file: string | undefined): Promise<void> {
    this.split = undefined;
    this.splitById = new Map();
    if (!file) return;
    const split = await readSplit(file);
    this.split = split;
    this.splitById = new Map(split.assignments.map((a) => [a.id, a.split]));
  }

  private async loadDuplicates(): Promise<void> {
    let scan: DuplicateScan | undefined;
    try {
      const parsed = JSON.parse(
        await fs.readFile(duplicatesPath(this.workspaceDir), 'utf8'),
      ) as Partial<DuplicateScan>;
      if (
        parsed.format === 'medqa-duplicates' &&
        Array.isArray(parsed.questions) &&
        Array.isArray(parsed.answers)
      ) {
        scan = parsed as DuplicateScan;
      }
    } catch {
      // No scan yet (or an unreadable one): "Find Duplicates" writes a new file.
    }
    this.applyDuplicates(scan);
  }

  private applyDuplicates(scan: DuplicateScan | undefined): void {
    this.duplicates = scan;
    this.duplicatesById = new Map();
    for (const group of [...(scan?.questions ?? []), ...(scan?.answers ?? [])]) {
      for (const id of group.ids) {
        const others = this.duplicatesById.get(id) ?? new Set<string>();
        for (const other of group.ids) if (other !== id) others.add(other);
        this.duplicatesById.set(id, others);
      }
    }
  }

  async setDuplicates(scan: DuplicateScan): Promise<void> {
    await writeJsonAtomic(duplicatesPath(this.workspaceDir), scan);
    this.applyDuplicates(scan);
    this.fire({ kind: 'duplicates' });
  }

  async setSplit(file: string, split: SplitFile): Promise<void> {
    await (await this.workspace()).setLastSplit(file, split.seed, split.ratios);
    this.split = split;
    this.splitById = new Map(split.assignments.map((a) => [a.id, a.split]));
    this.fire({ kind: 'split' });
  }

  indexOf(id: string): number | undefined {
    return this.indexById.get(id);
  }

  pair(id: string): QaPair | undefined {
    const index = this.indexById.get(id);
    return index === undefined ? undefined : this.pairs[index];
  }

  /** The pair with the overlay applied (undefined for an unknown id). */
  curated(id: string): CuratedPair | undefined {
    const pair = this.pair(id);
    return pair && this.curate(pair);
  }

  curate(pair: QaPair): CuratedPair {
    return this.overlayStore
      ? this.overlayStore.apply(pair)
      : { ...pair, originalQuestion: pair.question, originalAnswer: pair.answer, edited: false };
  }

  curatedPairs(): CuratedPair[] {
    return this.pairs.map((pair) => this.curate(pair));
  }

  splitOf(id: string): string | undefined {
    return this.splitById.get(id);
  }

  isDuplicate(id: string): boolean {
    return this.duplicatesById.has(id);
  }

  duplicatesOf(id: string): string[] {
    return [...(this.duplicatesById.get(id) ?? [])];
  }

  hashes(): { sourceHash: string; overlayHash: string } {
    return { sourceHash: sourceHash(this.pairs), overlayHash: this.overlayStore?.hash() ?? '' };
  }

  dispose(): void {
    this.overlaySubscriptions.forEach((subscription) => subscription.dispose());
    this.listeners.clear();
  }
}

/** Problem paths are relative to the imported folder, or to the folder holding an imported file. */
function fileRoot(root: string): string {
  try {
    return statSync(root).isFile() ? path.dirname(root) : root;
  } catch {
    return root;
  }
}
