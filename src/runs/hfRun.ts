import { existsSync, promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { discoverCheckpoints, type CheckpointInfo } from './checkpoints';
import { emptyProgress, type EvalPoint, type RunProgress, type StepPoint } from './runState';

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

const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;

/** A trainer_state.json that cannot be used; the message says which file and why. */
export class HfRunError extends Error {}

export interface HfTrainerState {
  globalStep: number;
  maxSteps: number | null;
  epoch: number | null;
  numTrainEpochs: number | null;
  bestModelCheckpoint: string | null;
  bestGlobalStep: number | null;
  trainBatchSize: number | null;
  loggingSteps: number | null;
  evalSteps: number | null;
  saveSteps: number | null;
  logHistory: Record<string, unknown>[];
}

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
export function isHfRunFolder(dir: string): boolean {
  return (
    existsSync(path.join(dir, HF_FILES.state)) ||
    checkpointFolders(dir).some((c) => existsSync(path.join(dir, c.name, HF_FILES.state)))
  );
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

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** What the tolerant parse turns a bare `NaN` into (JSON has no NaN; `Infinity` becomes a real ±Infinity). */
const NAN_TEXT = 'NaN';
const nonFinite = (value: unknown): boolean =>
  value === NAN_TEXT || (typeof value === 'number' && !Number.isFinite(value));

// A JSON string (unrolled, so a long string costs no backtracking) or a bare NaN / Infinity / -Infinity.
const STRING_OR_NON_FINITE = /"[^"\\]*(?:\\.[^"\\]*)*"|-?Infinity\b|NaN\b/g;

/**
 * JSON.parse, except that the bare `NaN`, `Infinity` and `-Infinity` Python's json writes (a diverged run logs
 * `"loss": NaN`) are read, not refused: ±Infinity as numbers, NaN as the string "NaN". Only when the plain parse
 * fails, so a well-formed file costs nothing extra; text inside strings is left alone.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    let replaced = false;
    const patched = text.replace(STRING_OR_NON_FINITE, (token) => {
      if (token.startsWith('"')) return token;
      replaced = true;
      return token === NAN_TEXT ? `"${NAN_TEXT}"` : token.startsWith('-') ? '-1e999' : '1e999';
    });
    if (!replaced) throw error;
    return JSON.parse(patched) as unknown;
  }
}
const str = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

/** Checks and reads the parts of trainer_state.json we use; throws HfRunError naming what is wrong. */
export function parseTrainerState(text: string, file: string = HF_FILES.state): HfTrainerState {
  let value: unknown;
  try {
    value = parsePythonJson(text);
  } catch (error) {
    const empty = text.trim() === '';
    throw new HfRunError(
      `${file} is ${empty ? 'empty' : 'not valid JSON (truncated or corrupt)'}${
        empty ? '' : `: ${(error as Error).message}`
      }`,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new HfRunError(`${file} is not a JSON object`);
  const state = value as Record<string, unknown>;
  if (!Array.isArray(state.log_history))
    throw new HfRunError(`${file} has no log_history list (not a transformers trainer state)`);
  const globalStep = num(state.global_step);
  if (globalStep === null) throw new HfRunError(`${file} has no global_step`);
  const maxSteps = num(state.max_steps);
  return {
    globalStep,
    maxSteps: maxSteps !== null && maxSteps > 0 ? maxSteps : null,
    epoch: num(state.epoch),
    numTrainEpochs: num(state.num_train_epochs),
    bestModelCheckpoint: str(state.best_model_checkpoint),
    bestGlobalStep: num(state.best_global_step),
    trainBatchSize: num(state.train_batch_size),
    loggingSteps: num(state.logging_steps),
    evalSteps: num(state.eval_steps),
    saveSteps: num(state.save_steps),
    logHistory: state.log_history.filter(
      (entry): entry is Record<string, unknown> =>
        Boolean(entry) && typeof entry === 'object' && !Array.isArray(entry),
    ),
  };
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

export interface HfProgress {
  progress: RunProgress;
  /** The log ends with the Trainer's summary (`train_runtime`), or the run reached `max_steps`. */
  finished: boolean;
  /** Log entries whose loss or eval_loss is NaN or ±Infinity (a diverged run): left out of the curves. */
  nonFinite: { count: number; firstStep: number | null };
}

/**
 * Folds a trainer state into the registry's RunProgress. `log_history` holds three kinds of entries: a step log
 * (`loss`), an evaluation (`eval_loss`) and, at the end of `train()`, one summary (`train_runtime`, `train_loss`).
 * The Trainer records no wall-clock time per entry: point times are 0 (unknown); `endedAt` is the file's time
 * and `startedAt` follows from `train_runtime` when the summary is there.
 */
export function progressFromTrainerState(
  state: HfTrainerState,
  options: { modifiedAt?: number; config?: Record<string, unknown> } = {},
): HfProgress {
  const progress = emptyProgress();
  const steps = new Map<number, StepPoint>();
  const evals = new Map<number, EvalPoint>();
  let summary: Record<string, unknown> | undefined;
  const diverged: HfProgress['nonFinite'] = { count: 0, firstStep: null };
  for (const entry of state.logHistory) {
    const step = num(entry.step);
    if (step === null) continue;
    if (nonFinite(entry.loss) || nonFinite(entry.eval_loss)) {
      diverged.count++;
      diverged.firstStep ??= step;
    }
    const epoch = num(entry.epoch) ?? 0;
    const loss = num(entry.loss);
    const evalLoss = num(entry.eval_loss);
    if (num(entry.train_runtime) !== null) summary = entry;
    else if (loss !== null) {
      steps.set(step, {
        step,
        epoch,
        loss,
        learningRate: num(entry.learning_rate) ?? 0,
        gradNorm: num(entry.grad_norm),
        tokensPerSecond: null,
        time: 0,
      });
    }
    if (evalLoss !== null) evals.set(step, { step, evalLoss, perplexity: Math.exp(evalLoss), time: 0 });
  }
  progress.steps = [...steps.values()].sort((a, b) => a.step - b.step);
  progress.evals = [...evals.values()].sort((a, b) => a.step - b.step);
  progress.totalSteps = state.maxSteps;
  const finished = summary !== undefined || (state.maxSteps !== null && state.globalStep >= state.maxSteps);
  const runtime = num(summary?.train_runtime);
  if (options.modifiedAt !== undefined) {
    progress.lastEventAt = options.modifiedAt;
    if (finished) progress.endedAt = options.modifiedAt;
    if (runtime !== null) progress.startedAt = options.modifiedAt - runtime * 1000;
  }
  progress.config = {
    ...options.config,
    ...(state.numTrainEpochs !== null ? { num_train_epochs: state.numTrainEpochs } : {}),
    ...(state.maxSteps !== null ? { max_steps: state.maxSteps } : {}),
    ...(state.trainBatchSize !== null ? { per_device_train_batch_size: state.trainBatchSize } : {}),
    ...(state.loggingSteps !== null ? { logging_steps: state.loggingSteps } : {}),
    ...(state.evalSteps !== null ? { eval_steps: state.evalSteps } : {}),
    ...(state.saveSteps !== null ? { save_steps: state.saveSteps } : {}),
  };
  progress.finalStep = state.globalStep;
  if (finished) progress.terminal = 'run_finished';
  progress.bestCheckpoint = state.bestModelCheckpoint;
  const bestStep =
    state.bestGlobalStep ??
    (state.bestModelCheckpoint
      ? num(Number(CHECKPOINT_DIR.exec(path.basename(state.bestModelCheckpoint))?.[1]))
      : null);
  const atBest = bestStep !== null ? evals.get(bestStep)?.evalLoss : undefined;
  // A loop, not Math.min(...evals): spreading >~125k arguments overflows the call stack.
  let lowest: number | null = null;
  for (const point of progress.evals) if (lowest === null || point.evalLoss < lowest) lowest = point.evalLoss;
  progress.bestEvalLoss = atBest ?? lowest;
  if (diverged.count > 0) {
    progress.notices.push({
      v: 1,
      time: new Date(options.modifiedAt ?? 0).toISOString(),
      event: 'notice',
      level: 'warning',
      code: 'non_finite_loss',
      message:
        `the loss is NaN or infinite in ${diverged.count} logged entr${diverged.count === 1 ? 'y' : 'ies'}, ` +
        `from step ${diverged.firstStep}: the run diverged there; those points are left out of the curves`,
    });
  }
  return { progress, finished, nonFinite: diverged };
}

export interface HfRunRead extends HfProgress {
  /** The trainer_state.json that was read. */
  stateFile: string;
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
  if (!topStat && !newestStat) throw new HfRunError(`${dir} has no ${HF_FILES.state}`);
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
  // The final adapter sits at the top; a run saved only as checkpoints names its base model there.
  const newestFolder = checkpointFolders(dir)[0];
  let config = await readAdapterConfig(dir);
  if (Object.keys(config).length === 0 && newestFolder)
    config = await readAdapterConfig(path.join(dir, newestFolder.name));
  const progress = progressFromTrainerState(state, { modifiedAt, config });
  if (existsSync(path.join(dir, HF_FILES.adapterConfig))) progress.progress.adapterPath = dir;
  const result: HfRunRead = { ...progress, stateFile, key };
  recentReads.delete(dir);
  recentReads.set(dir, result);
  if (recentReads.size > RECENT_READS) recentReads.delete(recentReads.keys().next().value!);
  return result;
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
      `into every checkpoint-<step>/ and, with trainer.save_state(), at the top); ${hints.join('; ')}.`
    );
  }
  try {
    await readHfRun(dir);
  } catch (error) {
    return `${dir} cannot be imported: ${(error as Error).message}`;
  }
  return undefined;
}
