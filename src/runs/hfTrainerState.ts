import * as path from 'node:path';
import { emptyProgress, type EvalPoint, type RunProgress, type StepPoint } from './runState';

/**
 * Reading a Hugging Face Trainer's `trainer_state.json` (pure: text in, RunProgress out; hfRun.ts finds the file).
 * Its `log_history` holds the curves; Python's json writes bare NaN/Infinity, which are read, not refused.
 */
export const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
const STATE_FILE = 'trainer_state.json';

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

export const num = (value: unknown): number | null =>
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
export const str = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

/** Checks and reads the parts of trainer_state.json we use; throws HfRunError naming what is wrong. */
export function parseTrainerState(text: string, file: string = STATE_FILE): HfTrainerState {
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

export interface HfProgress {
  progress: RunProgress;
  /** The log ends with the Trainer's summary (`train_runtime`), or the run reached `max_steps`. */
  finished: boolean;
  /** Log entries whose loss or eval_loss is NaN or ±Infinity (a diverged run): left out of the curves. */
  nonFinite: { count: number; firstStep: number | null };
}

interface LogHistory {
  steps: StepPoint[];
  evals: Map<number, EvalPoint>;
  /** The Trainer's closing summary entry (`train_runtime`, `train_loss`), if the run got there. */
  summary?: Record<string, unknown>;
  diverged: HfProgress['nonFinite'];
}

/** The step logs and evaluations of `log_history` (one point per step, the last entry for it wins). */
function readLogHistory(logHistory: readonly Record<string, unknown>[]): LogHistory {
  const steps = new Map<number, StepPoint>();
  const evals = new Map<number, EvalPoint>();
  let summary: Record<string, unknown> | undefined;
  const diverged: HfProgress['nonFinite'] = { count: 0, firstStep: null };
  for (const entry of logHistory) {
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
  return { steps: [...steps.values()].sort((a, b) => a.step - b.step), evals, summary, diverged };
}

/** The eval loss at the Trainer's best checkpoint, else the lowest one logged. */
function bestEvalLoss(
  state: HfTrainerState,
  evals: Map<number, EvalPoint>,
  sorted: EvalPoint[],
): number | null {
  const bestStep =
    state.bestGlobalStep ??
    (state.bestModelCheckpoint
      ? num(Number(CHECKPOINT_DIR.exec(path.basename(state.bestModelCheckpoint))?.[1]))
      : null);
  const atBest = bestStep !== null ? evals.get(bestStep)?.evalLoss : undefined;
  // A loop, not Math.min(...evals): spreading >~125k arguments overflows the call stack.
  let lowest: number | null = null;
  for (const point of sorted) if (lowest === null || point.evalLoss < lowest) lowest = point.evalLoss;
  return atBest ?? lowest;
}

/** The Trainer's arguments that trainer_state.json records, under our config's names. */
function stateConfig(state: HfTrainerState): Record<string, unknown> {
  return {
    ...(state.numTrainEpochs !== null ? { num_train_epochs: state.numTrainEpochs } : {}),
    ...(state.maxSteps !== null ? { max_steps: state.maxSteps } : {}),
    ...(state.trainBatchSize !== null ? { per_device_train_batch_size: state.trainBatchSize } : {}),
    ...(state.loggingSteps !== null ? { logging_steps: state.loggingSteps } : {}),
    ...(state.evalSteps !== null ? { eval_steps: state.evalSteps } : {}),
    ...(state.saveSteps !== null ? { save_steps: state.saveSteps } : {}),
  };
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
  const { steps, evals, summary, diverged } = readLogHistory(state.logHistory);
  progress.steps = steps;
  progress.evals = [...evals.values()].sort((a, b) => a.step - b.step);
  progress.totalSteps = state.maxSteps;
  const finished = summary !== undefined || (state.maxSteps !== null && state.globalStep >= state.maxSteps);
  const runtime = num(summary?.train_runtime);
  if (options.modifiedAt !== undefined) {
    progress.lastEventAt = options.modifiedAt;
    if (finished) progress.endedAt = options.modifiedAt;
    if (runtime !== null) progress.startedAt = options.modifiedAt - runtime * 1000;
  }
  progress.config = { ...options.config, ...stateConfig(state) };
  progress.finalStep = state.globalStep;
  if (finished) progress.terminal = 'run_finished';
  progress.bestCheckpoint = state.bestModelCheckpoint;
  progress.bestEvalLoss = bestEvalLoss(state, evals, progress.evals);
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
