/**
 * `<workspace>/.medqa/workspace.json`: which sources the user imported and where the last split and export went, so
 * the extension can reload them on start. Paths inside the workspace are stored relative (the folder can move).
 */
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomicFile';
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
  private constructor(
    readonly workspaceDir: string,
    private data: WorkspaceFile,
    private readonly now: () => Date,
  ) {}

  /** Loads the file (an empty workspace when missing); throws a clear error for a file that is not ours. */
  static async load(workspaceDir: string, options: { now?: () => Date } = {}): Promise<WorkspaceStore> {
    const file = workspaceFilePath(workspaceDir);
    let data: WorkspaceFile = { format: WORKSPACE_FORMAT, version: WORKSPACE_VERSION, sources: [] };
    const text = await readTextIfExists(file);
    if (text !== undefined) {
      let parsed: Partial<WorkspaceFile>;
      try {
        parsed = JSON.parse(text) as Partial<WorkspaceFile>;
      } catch (error) {
        throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix or delete it.`);
      }
      if (parsed.format !== WORKSPACE_FORMAT || !Array.isArray(parsed.sources)) {
        throw new Error(`${file} is not a MedQA workspace file (expected "format": "${WORKSPACE_FORMAT}").`);
      }
      if (typeof parsed.version !== 'number' || parsed.version > WORKSPACE_VERSION) {
        throw new Error(
          `${file} has version ${String(parsed.version)}, newer than this MedQA Studio understands.`,
        );
      }
      data = parsed as WorkspaceFile;
    }
    return new WorkspaceStore(path.resolve(workspaceDir), data, options.now ?? (() => new Date()));
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
  async addSource(source: string): Promise<void> {
    const stored = this.relative(source);
    if (!this.data.sources.some((s) => s.path === stored)) {
      this.data.sources.push({ path: stored, importedAt: this.now().toISOString() });
    }
    await this.save();
  }

  async removeSource(source: string): Promise<void> {
    const stored = this.relative(source);
    this.data.sources = this.data.sources.filter((s) => s.path !== stored);
    await this.save();
  }

  async setLastSplit(file: string, seed: number, ratios: [number, number, number]): Promise<void> {
    this.data.lastSplit = { path: this.relative(file), seed, ratios, createdAt: this.now().toISOString() };
    await this.save();
  }

  async setLastExport(dir: string): Promise<void> {
    this.data.lastExport = { path: this.relative(dir), createdAt: this.now().toISOString() };
    await this.save();
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.file, this.data);
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
