/**
 * `<workspace>/.medqa/workspace.json`: which sources the user imported and where the last split and export went, so
 * the extension can reload them on start. Paths inside the workspace are stored relative (the folder can move).
 * Like the overlay, it is shared by every window on the folder: each change is replayed onto the file as it is now,
 * under its lock, rather than writing back the copy loaded at start (which would undo another window's import).
 */
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomicFile';
import { withFileLock, type FileLockOptions } from '../util/fileLock';
import { readTextIfExists } from '../util/files';

export const WORKSPACE_FORMAT = 'medqa-workspace';
export const WORKSPACE_VERSION = 1;

export interface WorkspaceSource {
  path: string;
  importedAt: string;
}

export interface WorkspaceFile {
  format: typeof WORKSPACE_FORMAT;
  version: number;
  sources: WorkspaceSource[];
  lastSplit?: { path: string; seed: number; ratios: [number, number, number]; createdAt: string };
  lastExport?: { path: string; createdAt: string };
}

export function workspaceFilePath(workspaceDir: string): string {
  return path.join(workspaceDir, '.medqa', 'workspace.json');
}

export class WorkspaceStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly workspaceDir: string,
    private data: WorkspaceFile,
    private readonly now: () => Date,
    private readonly lockOptions: FileLockOptions,
  ) {}

  /** Loads the file (an empty workspace when missing); throws a clear error for a file that is not ours. */
  static async load(
    workspaceDir: string,
    options: { now?: () => Date; lock?: FileLockOptions } = {},
  ): Promise<WorkspaceStore> {
    const data = await readWorkspaceFile(workspaceFilePath(workspaceDir));
    return new WorkspaceStore(
      path.resolve(workspaceDir),
      data,
      options.now ?? (() => new Date()),
      options.lock ?? {},
    );
  }

  get file(): string {
    return workspaceFilePath(this.workspaceDir);
  }

  /** Absolute paths of the imported sources, in import order. */
  sources(): string[] {
    return this.data.sources.map((source) => this.absolute(source.path));
  }

  get lastSplit(): WorkspaceFile['lastSplit'] {
    return this.data.lastSplit && { ...this.data.lastSplit, path: this.absolute(this.data.lastSplit.path) };
  }

  get lastExport(): WorkspaceFile['lastExport'] {
    return (
      this.data.lastExport && { ...this.data.lastExport, path: this.absolute(this.data.lastExport.path) }
    );
  }

  /** Adds a source (no-op when already listed) and saves. */
  addSource(source: string): Promise<void> {
    const stored = this.relative(source);
    return this.change((data) => {
      if (!data.sources.some((s) => s.path === stored)) {
        data.sources.push({ path: stored, importedAt: this.now().toISOString() });
      }
    });
  }

  removeSource(source: string): Promise<void> {
    const stored = this.relative(source);
    return this.change((data) => {
      data.sources = data.sources.filter((s) => s.path !== stored);
    });
  }

  setLastSplit(file: string, seed: number, ratios: [number, number, number]): Promise<void> {
    const lastSplit = { path: this.relative(file), seed, ratios, createdAt: this.now().toISOString() };
    return this.change((data) => {
      data.lastSplit = lastSplit;
    });
  }

  setLastExport(dir: string): Promise<void> {
    const lastExport = { path: this.relative(dir), createdAt: this.now().toISOString() };
    return this.change((data) => {
      data.lastExport = lastExport;
    });
  }

  /** Under the file lock: re-read, apply this one change, write atomically, and keep the result. */
  private change(apply: (data: WorkspaceFile) => void): Promise<void> {
    const run = () =>
      withFileLock(
        this.file,
        async (assertHeld) => {
          const data = await readWorkspaceFile(this.file);
          apply(data);
          assertHeld();
          await writeJsonAtomic(this.file, data);
          this.data = data;
        },
        this.lockOptions,
      );
    const next = this.queue.catch(() => undefined).then(run);
    this.queue = next;
    return next;
  }

  private relative(target: string): string {
    const absolute = path.resolve(this.workspaceDir, target);
    const relative = path.relative(this.workspaceDir, absolute);
    const inside = relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    return inside ? relative.split(path.sep).join('/') || '.' : absolute;
  }

  private absolute(stored: string): string {
    return path.resolve(this.workspaceDir, stored);
  }
}

async function readWorkspaceFile(file: string): Promise<WorkspaceFile> {
  const text = await readTextIfExists(file);
  if (text === undefined) return { format: WORKSPACE_FORMAT, version: WORKSPACE_VERSION, sources: [] };
  let parsed: Partial<WorkspaceFile> | null;
  try {
    parsed = JSON.parse(text) as Partial<WorkspaceFile> | null;
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix or delete it.`);
  }
  if (parsed === null || parsed.format !== WORKSPACE_FORMAT || !Array.isArray(parsed.sources)) {
    throw new Error(`${file} is not a MedQA workspace file (expected "format": "${WORKSPACE_FORMAT}").`);
  }
  if (typeof parsed.version !== 'number' || parsed.version > WORKSPACE_VERSION) {
    throw new Error(
      `${file} has version ${String(parsed.version)}, newer than this MedQA Studio understands.`,
    );
  }
  return parsed as WorkspaceFile;
}
