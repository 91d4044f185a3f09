import { existsSync, promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { discoverCheckpoints, type CheckpointInfo } from './checkpoints';
import {
  CHECKPOINT_DIR,
  HfRunError,
  num,
  parsePythonJson,
  parseTrainerState,
  progressFromTrainerState,
  str,
  type HfProgress,
  type HfTrainerState,
} from './hfTrainerState';
import type { RunProgress } from './runState';
import {
  applyWallTimes,
  emptyTensorBoardLog,
  readEventFile,
  tensorboardEventFiles,
  trainerStateFromTensorBoard,
} from './tensorboardLog';

/**
 * A folder written by a Hugging Face `Trainer` / trl `SFTTrainer` (not by our trainer): `trainer_state.json`
 * (its `log_history` holds the curves), `checkpoint-<step>/` folders and, for LoRA, `adapter_config.json`.
 * Read only: nothing here writes into the folder.
 */
export const HF_FILES = {
  state: 'trainer_state.json',
  adapterConfig: 'adapter_config.json',
  adapterWeights: ['adapter_model.safetensors', 'adapter_model.bin'],
} as const;

/** `checkpoint-<step>` sub-folders, newest (highest step) first. Synchronous: `isRunFolder` is. */
export function checkpointFolders(dir: string): { name: string; step: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((name) => {
      const match = CHECKPOINT_DIR.exec(name);
      return match ? [{ name, step: Number(match[1]) }] : [];
    })
    .sort((a, b) => b.step - a.step);
}

/** Whether `dir` holds a trainer_state.json at the top or in one of its checkpoints. */
function hasTrainerState(dir: string): boolean {
  return (
    existsSync(path.join(dir, HF_FILES.state)) ||
    checkpointFolders(dir).some((c) => existsSync(path.join(dir, c.name, HF_FILES.state)))
  );
}

/** Whether `dir` holds a trainer_state.json (at the top or in a checkpoint) or, without one, TensorBoard logs. */
export function isHfRunFolder(dir: string): boolean {
  return hasTrainerState(dir) || tensorboardEventFiles(dir).length > 0;
}

/**
 * The trainer_state.json to read: the top-level one (`trainer.save_state()`, written at the end), unless a newer
 * checkpoint exists (a run that went on after it); else the newest checkpoint's. Undefined when there is none.
 */
export async function trainerStateFile(dir: string): Promise<string | undefined> {
  const top = path.join(dir, HF_FILES.state);
  const newest = checkpointFolders(dir).find((c) => existsSync(path.join(dir, c.name, HF_FILES.state)));
  if (!existsSync(top)) return newest && path.join(dir, newest.name, HF_FILES.state);
  if (!newest) return top;
  const topStep = await fs
    .readFile(top, 'utf8')
    .then((text) => (parsePythonJson(text) as { global_step?: unknown }).global_step)
    .catch(() => undefined);
  return typeof topStep === 'number' && newest.step > topStep
    ? path.join(dir, newest.name, HF_FILES.state)
    : top;
}

/** The LoRA settings of an adapter_config.json, under our config's names; {} when it is missing or unreadable. */
export async function readAdapterConfig(folder: string): Promise<Record<string, unknown>> {
  let adapter: Record<string, unknown>;
  try {
    adapter = JSON.parse(await fs.readFile(path.join(folder, HF_FILES.adapterConfig), 'utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
  const config: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== null && value !== undefined) config[key] = value;
  };
  set('model_name_or_path', str(adapter.base_model_name_or_path));
  set('peft_type', str(adapter.peft_type));
  set('lora_r', num(adapter.r));
  set('lora_alpha', num(adapter.lora_alpha));
  set('lora_dropout', num(adapter.lora_dropout));
  const targets = adapter.target_modules;
  if (Array.isArray(targets)) set('lora_target_modules', targets.filter((t) => typeof t === 'string').sort());
  else set('lora_target_modules', str(targets));
  return config;
}

export interface HfRunRead extends HfProgress {
  /** The trainer_state.json that was read (absent when the curves came from TensorBoard logs). */
  stateFile?: string;
  /** The TensorBoard event files that were read, when the folder has no trainer_state.json. */
  tensorboardFiles?: string[];
  /** Cache key: path, size and modification time of the trainer_state.json files it was chosen from. */
  key: string;
}

/**
 * The last reads, by folder: "Import Hugging Face Run…" checks a folder (hfRunProblem) and the registry then reads
 * it; with this the trainer_state.json (86 MB for a long run) is read and parsed once, not twice.
 */
const recentReads = new Map<string, HfRunRead>();
const RECENT_READS = 4;

const statOrUndefined = (file: string) => fs.stat(file).catch(() => undefined);

/**
 * Reads an HF run folder; `previous` (or a recent read of the same folder) is returned as is when no
 * trainer_state.json it could come from has changed. The file is read once: the top-level state is parsed, and
 * the newest checkpoint's is read instead only when it is newer (see trainerStateFile).
 */
export async function readHfRun(dir: string, previous?: HfRunRead): Promise<HfRunRead> {
  const top = path.join(dir, HF_FILES.state);
  const newest = checkpointFolders(dir).find((c) => existsSync(path.join(dir, c.name, HF_FILES.state)));
  const newestFile = newest && path.join(dir, newest.name, HF_FILES.state);
  const [topStat, newestStat] = await Promise.all([
    statOrUndefined(top),
    newestFile ? statOrUndefined(newestFile) : undefined,
  ]);
  if (!topStat && !newestStat) {
    const eventFiles = tensorboardEventFiles(dir);
    if (eventFiles.length > 0) return readTensorBoardRun(dir, eventFiles, previous);
    throw new HfRunError(`${dir} has no ${HF_FILES.state} and no TensorBoard logs`);
  }
  const key = [
    topStat && `${top}:${topStat.size}:${topStat.mtimeMs}`,
    newestStat && `${newestFile}:${newestStat.size}:${newestStat.mtimeMs}`,
  ].join('|');
  const known = previous ?? recentReads.get(dir);
  if (known?.key === key) return known;
  const read = async (file: string): Promise<HfTrainerState> => {
    const relative = path.relative(dir, file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new HfRunError(`${relative} cannot be read: ${(error as Error).message}`);
    }
    return parseTrainerState(text, relative);
  };
  let stateFile = topStat ? top : newestFile!;
  let state = await read(stateFile);
  if (topStat && newest && newestStat && newest.step > state.globalStep) {
    stateFile = newestFile!;
    state = await read(stateFile);
  }
  const modifiedAt = (stateFile === top ? topStat : newestStat)!.mtimeMs;
  const progress = progressFromTrainerState(state, { modifiedAt, config: await runAdapterConfig(dir) });
  if (existsSync(path.join(dir, HF_FILES.adapterConfig))) progress.progress.adapterPath = dir;
  return remember(dir, { ...progress, stateFile, key });
}

/** The final adapter's config at the top; a run saved only as checkpoints names its base model there. */
async function runAdapterConfig(dir: string): Promise<Record<string, unknown>> {
  const newestFolder = checkpointFolders(dir)[0];
  const config = await readAdapterConfig(dir);
  if (Object.keys(config).length === 0 && newestFolder)
    return readAdapterConfig(path.join(dir, newestFolder.name));
  return config;
}

function remember(dir: string, result: HfRunRead): HfRunRead {
  recentReads.delete(dir);
  recentReads.set(dir, result);
  if (recentReads.size > RECENT_READS) recentReads.delete(recentReads.keys().next().value!);
  return result;
}

/**
 * A Trainer folder without trainer_state.json whose curves the TensorBoard callback logged (report_to
 * tensorboard): read from its event files, re-read when one of them changes.
 */
async function readTensorBoardRun(dir: string, files: string[], previous?: HfRunRead): Promise<HfRunRead> {
  const stats = await Promise.all(files.map(statOrUndefined));
  const key = files.map((file, i) => `${file}:${stats[i]?.size}:${stats[i]?.mtimeMs}`).join('|');
  const known = previous ?? recentReads.get(dir);
  if (known?.key === key) return known;
  const log = emptyTensorBoardLog();
  for (const file of files) {
    try {
      readEventFile(await fs.readFile(file), log);
    } catch (error) {
      throw new HfRunError(
        `${path.relative(dir, file)} is not a readable TensorBoard event file: ${(error as Error).message}`,
      );
    }
  }
  const state = trainerStateFromTensorBoard(log);
  if (state.logHistory.length === 0)
    throw new HfRunError(
      `${dir} has no ${HF_FILES.state}, and its TensorBoard logs hold no train/ or eval/ curves (the tags the ` +
        "Trainer's TensorBoard callback writes)",
    );
  let modifiedAt = 0;
  for (const stat of stats) modifiedAt = Math.max(modifiedAt, stat?.mtimeMs ?? 0);
  const progress = progressFromTrainerState(state, { modifiedAt, config: await runAdapterConfig(dir) });
  applyWallTimes(progress.progress, log, progress.finished);
  if (existsSync(path.join(dir, HF_FILES.adapterConfig))) progress.progress.adapterPath = dir;
  return remember(dir, { ...progress, tensorboardFiles: files, key });
}

/**
 * The run's adapters: its `checkpoint-<step>/` folders (as for our runs: complete once adapter_config.json, the
 * weights and trainer_state.json are there) and, when `trainer.save_model()` left an adapter at the top, the run
 * folder itself as the final adapter.
 */
export async function discoverHfCheckpoints(dir: string, progress: RunProgress): Promise<CheckpointInfo[]> {
  const found = await discoverCheckpoints(dir, progress);
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    return found;
  }
  if (names.includes(HF_FILES.adapterConfig)) {
    const weights: readonly string[] = HF_FILES.adapterWeights;
    found.push({
      path: dir,
      name: path.basename(dir),
      kind: 'final',
      step: progress.terminal === 'run_finished' ? (progress.finalStep ?? null) : null,
      complete: weights.some((w) => names.includes(w)),
      evalLoss: null,
      isBest: false,
    });
  }
  return found;
}

/** Why `dir` cannot be imported as a Hugging Face run (undefined when it can): says what is missing. */
export async function hfRunProblem(dir: string): Promise<string | undefined> {
  let stat: import('node:fs').Stats;
  try {
    stat = await fs.stat(dir);
  } catch {
    return `${dir} does not exist.`;
  }
  if (!stat.isDirectory()) return `${dir} is a file; choose the Trainer's output folder (its output_dir).`;
  if (existsSync(path.join(dir, 'events.jsonl')))
    return `${dir} is a MedQA Studio run (it has events.jsonl), not a Hugging Face Trainer folder.`;
  if (!isHfRunFolder(dir)) {
    const checkpoints = checkpointFolders(dir);
    const hints = [
      checkpoints.length
        ? `its ${checkpoints.length} checkpoint-<step> folder(s) have no ${HF_FILES.state} either`
        : 'it has no checkpoint-<step> folders',
      existsSync(path.join(dir, HF_FILES.adapterConfig))
        ? `it has ${HF_FILES.adapterConfig}: an adapter without its training history`
        : `no ${HF_FILES.adapterConfig}`,
    ];
    return (
      `${dir} is not a Hugging Face Trainer output folder: ${HF_FILES.state} is missing (the Trainer writes it ` +
      `into every checkpoint-<step>/ and, with trainer.save_state(), at the top), and so are TensorBoard logs ` +
      `(events.out.tfevents.* from report_to="tensorboard"); ${hints.join('; ')}.`
    );
  }
  try {
    await readHfRun(dir);
  } catch (error) {
    return `${dir} cannot be imported: ${(error as Error).message}`;
  }
  return undefined;
}
