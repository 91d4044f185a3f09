import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseRunYaml } from './runYaml';
import { discoverCheckpoints, type CheckpointInfo } from './checkpoints';
import { EventLog } from './eventLog';
import { discoverHfCheckpoints, HF_FILES, isHfRunFolder, readHfRun, type HfRunRead } from './hfRun';
import { HfRunError } from './hfTrainerState';
import { isTrainerAlive, PID_FILE, readTrainerPid } from './liveness';
import { readRunMetaFile, type RunMeta } from './runMeta';
import { applyEvents, deriveStatus, emptyProgress, type RunProgress, type RunStatus } from './runState';
import { slurmJobOf, slurmRunStatus, type RunSlurmJob, type SlurmStates } from './slurmRun';

export const RUN_FILES = {
  events: 'events.jsonl',
  runConfig: 'run.yaml',
  resolvedConfig: 'config.yaml',
  traceback: 'traceback.txt',
  pid: PID_FILE,
  trainerState: HF_FILES.state,
} as const;

export interface RunInfo {
  dir: string;
  /** Folder name: what the views call the run. */
  name: string;
  status: RunStatus;
  progress: RunProgress;
  checkpoints: CheckpointInfo[];
  pid?: number;
  /** Lines of events.jsonl that were not usable events (torn, unknown kind, other version). */
  skippedLines: number;
  /** Sort key: when the run started, else when its folder was made. */
  createdAt: number;
  /** Paths of the run's files that exist. */
  files: {
    events?: string;
    runConfig?: string;
    resolvedConfig?: string;
    traceback?: string;
    /** The trainer_state.json an imported Hugging Face run was read from. */
    trainerState?: string;
  };
  /** `huggingface`: a Trainer/SFTTrainer output folder read from trainer_state.json, read-only. Absent: ours. */
  source?: 'huggingface';
  /** Why the run's files cannot be read (status `unreadable`; a running run keeps its status). */
  problem?: string;
  /** The name the user gave the run (Rename); views show it instead of `name`. */
  displayName?: string;
  /** The user's tags (Tag). */
  tags?: string[];
  /** A run submitted to Slurm: its job and the scheduler's last word on it. */
  slurm?: RunSlurmJob;
}

export interface RunRegistryOptions {
  /** Decides whether a recorded PID is a live trainer (tests replace it). */
  isAlive?: (pid: number) => Promise<boolean>;
  /** Run folders whose trainer this process started and is still waiting for (before trainer.pid exists). */
  activeRuns?: () => ReadonlySet<string>;
  /** Name and tags of read-only (imported) runs, which are kept outside their folder. */
  externalMeta?: (dir: string) => RunMeta | undefined;
  /** The last known state of Slurm jobs (a poller asks squeue/sacct); runs with a slurm-job.json read it. */
  slurmStates?: SlurmStates;
}

interface Entry {
  log: EventLog;
  progress: RunProgress;
  skipped: number;
  info?: RunInfo;
  /** Serialises refreshes of one run so two watcher events never read the same bytes twice. */
  queue: Promise<unknown>;
  /** The last read of an imported run's trainer_state.json (reused while the file is unchanged). */
  hf?: HfRunRead;
  /** config.yaml's last check, keyed by its size and time. */
  config?: { key: string; problem?: string };
}

/** A run of ours (events, configs, a PID) or a Hugging Face Trainer folder (a trainer_state.json). */
export function isRunFolder(dir: string): boolean {
  return (
    [RUN_FILES.events, RUN_FILES.runConfig, RUN_FILES.resolvedConfig, RUN_FILES.pid].some((f) =>
      existsSync(path.join(dir, f)),
    ) || isHfRunFolder(dir)
  );
}

/** Runs found in a runs directory (each direct sub-folder with run files) plus folders tracked explicitly. */
export class RunRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly tracked = new Set<string>();
  private readonly listeners = new Set<(changed: readonly RunInfo[]) => void>();

  constructor(
    private runsDir: string | undefined,
    private readonly options: RunRegistryOptions = {},
  ) {}

  get directory(): string | undefined {
    return this.runsDir;
  }

  setDirectory(runsDir: string | undefined): void {
    this.runsDir = runsDir;
  }

  /** Adds a run folder that may live outside the runs directory (a custom output folder). */
  track(dir: string): void {
    this.tracked.add(path.resolve(dir));
  }

  /** Forgets a tracked folder (its files stay); it leaves the list unless it lies in the runs directory. */
  untrack(dir: string): void {
    const resolved = path.resolve(dir);
    this.tracked.delete(resolved);
    if (!this.isInRunsDirectory(resolved) && this.entries.delete(resolved)) this.emit([]);
  }

  get trackedFolders(): readonly string[] {
    return [...this.tracked];
  }

  isInRunsDirectory(dir: string): boolean {
    if (!this.runsDir) return false;
    return path.dirname(path.resolve(dir)) === path.resolve(this.runsDir);
  }

  onDidChange(listener: (changed: readonly RunInfo[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  list(): RunInfo[] {
    return [...this.entries.values()]
      .flatMap((e) => (e.info ? [e.info] : []))
      .sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name));
  }

  get(dir: string): RunInfo | undefined {
    return this.entries.get(path.resolve(dir))?.info;
  }

  /** The run folder that contains `file` (a watcher event's path), if it is a known or plausible run. */
  runFolderOf(file: string): string | undefined {
    const resolved = path.resolve(file);
    for (const dir of [...this.entries.keys(), ...this.tracked]) {
      if (resolved === dir || resolved.startsWith(dir + path.sep)) return dir;
    }
    if (this.runsDir) {
      const relative = path.relative(path.resolve(this.runsDir), resolved);
      if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) {
        return path.join(path.resolve(this.runsDir), relative.split(path.sep)[0]);
      }
    }
    return undefined;
  }

  /** Rescans the runs directory: new folders appear, deleted ones go, every run is brought up to date. */
  async refreshAll(): Promise<RunInfo[]> {
    const dirs = new Set<string>([...this.tracked].filter((d) => existsSync(d)));
    if (this.runsDir) {
      const root = path.resolve(this.runsDir);
      let names: import('node:fs').Dirent[] = [];
      try {
        names = await fs.readdir(root, { withFileTypes: true });
      } catch {
        // No runs directory yet: no runs.
      }
      for (const entry of names) if (entry.isDirectory()) dirs.add(path.join(root, entry.name));
    }
    const changed: RunInfo[] = [];
    for (const dir of [...this.entries.keys()]) {
      if (!dirs.has(dir) || !existsSync(dir)) this.entries.delete(dir);
    }
    for (const dir of dirs) {
      if (!isRunFolder(dir) && !this.options.activeRuns?.().has(dir)) continue;
      const info = await this.load(dir);
      if (info) changed.push(info);
    }
    this.emit(changed);
    return this.list();
  }

  /** Brings one run up to date (reads only the new event lines). Undefined when the folder is gone. */
  async refreshRun(dir: string): Promise<RunInfo | undefined> {
    const resolved = path.resolve(dir);
    if (!existsSync(resolved)) {
      if (this.entries.delete(resolved)) this.emit([]);
      return undefined;
    }
    if (!this.entries.has(resolved) && !isRunFolder(resolved) && !this.options.activeRuns?.().has(resolved)) {
      return undefined;
    }
    const info = await this.load(resolved);
    if (info) this.emit([info]);
    return info;
  }

  private load(dir: string): Promise<RunInfo | undefined> {
    let entry = this.entries.get(dir);
    if (!entry) {
      entry = {
        log: new EventLog(path.join(dir, RUN_FILES.events)),
        progress: emptyProgress(),
        skipped: 0,
        queue: Promise.resolve(),
      };
      this.entries.set(dir, entry);
    }
    const current = entry;
    const next = current.queue.then(() => this.update(dir, current));
    current.queue = next.catch(() => undefined);
    return next;
  }

  private async update(dir: string, entry: Entry): Promise<RunInfo> {
    const own = existsSync(path.join(dir, RUN_FILES.events)) || !isHfRunFolder(dir);
    const info = own ? await this.updateOwn(dir, entry) : await this.updateHf(dir, entry);
    entry.info = info;
    return info;
  }

  /** A Hugging Face Trainer folder: re-read whenever its trainer_state.json changes; never written to. */
  private async updateHf(dir: string, entry: Entry): Promise<RunInfo> {
    let problem: string | undefined;
    try {
      entry.hf = await readHfRun(dir, entry.hf);
    } catch (error) {
      entry.hf = undefined;
      problem = error instanceof HfRunError ? error.message : String(error);
    }
    const progress = entry.hf?.progress ?? emptyProgress();
    return {
      dir,
      name: path.basename(dir),
      status: entry.hf ? (entry.hf.finished ? 'finished' : 'unknown') : 'unreadable',
      progress,
      checkpoints: await discoverHfCheckpoints(dir, progress),
      skippedLines: 0,
      createdAt: progress.startedAt ?? (await folderTime(dir)),
      files: entry.hf?.stateFile ? { trainerState: entry.hf.stateFile } : {},
      source: 'huggingface',
      ...(problem ? { problem } : {}),
      ...metaFields(this.options.externalMeta?.(dir)),
    };
  }

  private async updateOwn(dir: string, entry: Entry): Promise<RunInfo> {
    const batch = await entry.log.read();
    if (batch.reset) {
      entry.progress = emptyProgress();
      entry.skipped = 0;
    }
    applyEvents(entry.progress, batch.events);
    entry.skipped += batch.skipped.length;
    const files: RunInfo['files'] = {};
    for (const key of ['events', 'runConfig', 'resolvedConfig', 'traceback'] as const) {
      const file = path.join(dir, RUN_FILES[key]);
      if (existsSync(file)) files[key] = file;
    }
    const pid = await readTrainerPid(dir);
    const launchedHere = this.options.activeRuns?.().has(dir) ?? false;
    const alive =
      launchedHere || (pid !== undefined && (await (this.options.isAlive ?? isTrainerAlive)(pid)));
    const slurm = await slurmJobOf(dir, this.options.slurmStates);
    let status =
      (slurm && slurmRunStatus(entry.progress, slurm)) ?? deriveStatus(entry.progress.terminal, alive);
    if (status === 'interrupted' && files.traceback) {
      // The trainer died of an exception before it could write `run_failed`.
      status = 'failed';
      entry.progress.error ??= await lastTracebackLine(files.traceback);
      entry.progress.tracebackPath ??= files.traceback;
    }
    const problem = files.resolvedConfig ? await checkConfig(entry, files.resolvedConfig) : undefined;
    if (problem && status !== 'running') status = 'unreadable';
    return {
      dir,
      name: path.basename(dir),
      status,
      progress: entry.progress,
      checkpoints: await discoverCheckpoints(dir, entry.progress),
      pid,
      skippedLines: entry.skipped,
      createdAt: entry.progress.startedAt ?? (await folderTime(dir)),
      files,
      ...(problem ? { problem } : {}),
      ...(slurm ? { slurm } : {}),
      ...metaFields(await readRunMetaFile(dir)),
    };
  }

  private emit(changed: readonly RunInfo[]): void {
    for (const listener of this.listeners) listener(changed);
  }
}

function metaFields(meta: RunMeta | undefined): Pick<RunInfo, 'displayName' | 'tags'> {
  return { ...(meta?.displayName ? { displayName: meta.displayName } : {}), tags: meta?.tags ?? [] };
}

/**
 * The trainer's resolved config.yaml (PyYAML) must parse as a mapping: a run whose config cannot be read cannot
 * be resumed, compared or reproduced, so it shows as unreadable with the parser's reason. Re-parsed only when the
 * file's size or time changes.
 */
async function checkConfig(entry: Entry, file: string): Promise<string | undefined> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    const key = `${stat.size}:${stat.mtimeMs}`;
    if (entry.config?.key === key) return entry.config.problem;
    text = await fs.readFile(file, 'utf8');
    entry.config = { key, problem: configProblem(text) };
    return entry.config.problem;
  } catch (error) {
    return `config.yaml cannot be read: ${(error as Error).message}`;
  }
}

export function configProblem(text: string): string | undefined {
  if (!text.trim()) return 'config.yaml is empty';
  try {
    parseRunYaml(text);
    return undefined;
  } catch (error) {
    return `config.yaml cannot be read: ${(error as Error).message}`;
  }
}

async function folderTime(dir: string): Promise<number> {
  try {
    const stat = await fs.stat(dir);
    return stat.birthtimeMs || stat.mtimeMs;
  } catch {
    return 0;
  }
}

async function lastTracebackLine(file: string): Promise<string | undefined> {
  try {
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    return lines[lines.length - 1]?.trim() || undefined;
  } catch {
    return undefined;
  }
}
