import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EventLog } from '../runs/eventLog';
import { watchFile } from '../trainer/follow';
import { runTrainerCommand, trainerArgs, type CommandExit } from '../trainer/process';
import type { EvaluationEngine, EvaluationSettings } from './evaluationFolder';

/**
 * Answers generated together unless the user picks a size, per engine (as `evaluate --batch-size` defaults). A CPU
 * decoding step is bound by reading the weights, so onnxruntime answers 32 rows for less than twice the time of 8
 * (SmolLM2 fp32, 2 cores: 61 ms vs 99 ms a step); PyTorch keeps the batch that fits a laptop.
 */
export const DEFAULT_BATCH_SIZE: Record<EvaluationEngine, number> = { torch: 8, onnx: 32 };

/** The batch size after a change of engine: the old engine's default becomes the new one's; a chosen size stays. */
export function batchSizeForEngine(batchSize: number, from: EvaluationEngine, to: EvaluationEngine): number {
  return batchSize === DEFAULT_BATCH_SIZE[from] ? DEFAULT_BATCH_SIZE[to] : batchSize;
}

/** How many answers PyTorch gives too in an ONNX evaluation, to record the engines' agreement: one PyTorch batch. */
export function agreementExamples(batchSize: number): number {
  return Math.min(batchSize, DEFAULT_BATCH_SIZE.torch);
}

/** Defaults offered by "Evaluate Checkpoint": answers long enough for MedQuAD, batches that fit a laptop. */
export const DEFAULT_SETTINGS: EvaluationSettings = {
  maxNewTokens: 256,
  batchSize: DEFAULT_BATCH_SIZE.torch,
  limit: null,
  evaluateBase: true,
  repetitionPenalty: 1,
};
/** How long a cancelled evaluator may take to finish its batch and write metrics before SIGKILL. */
export const CANCEL_GRACE_MS = 30_000;

export interface EvaluateInput {
  model: string;
  adapter?: string;
  data: string;
  out: string;
  maxNewTokens: number;
  batchSize: number;
  limit: number | null;
  repetitionPenalty?: number;
  events?: string;
  /** Generate with onnxruntime on this export (which names its model and adapter) instead of PyTorch. */
  onnx?: { export: string; checkAgreement: number };
}

/** `python <these>`: the evaluator's command line (contract #3) as an argument array, never a shell string. */
export function evaluateArgs(input: EvaluateInput): string[] {
  const args = input.onnx
    ? trainerArgs('evaluate', ['--engine', 'onnx', '--export', input.onnx.export])
    : trainerArgs('evaluate', ['--model', input.model]);
  if (input.onnx) {
    if (input.onnx.checkAgreement > 0) args.push('--check-agreement', String(input.onnx.checkAgreement));
  } else if (input.adapter) args.push('--adapter', input.adapter);
  args.push('--data', input.data, '--out', input.out);
  args.push('--max-new-tokens', String(input.maxNewTokens), '--batch-size', String(input.batchSize));
  if (input.limit !== null) args.push('--limit', String(input.limit));
  if (input.repetitionPenalty !== undefined && input.repetitionPenalty !== 1)
    args.push('--repetition-penalty', String(input.repetitionPenalty));
  if (input.events) args.push('--events', input.events);
  return args;
}

export function compareArgs(baseDir: string, candidateDir: string, out: string): string[] {
  return trainerArgs('compare', ['--base', baseDir, '--candidate', candidateDir, '--out', out]);
}

/** What is wrong with the settings, in words; undefined when they are usable. */
export function settingsProblem(settings: Partial<EvaluationSettings>): string | undefined {
  const positive = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 1;
  if (settings.maxNewTokens !== undefined && !positive(settings.maxNewTokens))
    return 'Max new tokens must be a whole number of at least 1.';
  if (settings.batchSize !== undefined && !positive(settings.batchSize))
    return 'Batch size must be a whole number of at least 1.';
  if (settings.limit !== undefined && settings.limit !== null && !positive(settings.limit)) {
    return 'Limit must be a whole number of at least 1 (or empty for every example).';
  }
  const penalty = settings.repetitionPenalty;
  if (penalty !== undefined && !(typeof penalty === 'number' && penalty >= 1 && penalty <= 2))
    return 'Repetition penalty must be a number from 1 (off) to 2.';
  return undefined;
}

/** Parses a settings field typed by a person: whole numbers only; '' means "none" where allowed. */
export function parseWholeNumber(text: string, allowEmpty: boolean): number | null | undefined {
  const trimmed = text.trim().replace(/[_,\s]/g, '');
  if (!trimmed) return allowEmpty ? null : undefined;
  return /^\d+$/.test(trimmed) && Number(trimmed) >= 1 ? Number(trimmed) : undefined;
}

export interface StepOptions {
  python: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The evaluator's events file, read on each file event for `eval_progress`. */
  eventsFile?: string;
  signal?: AbortSignal;
  graceMs?: number;
  onProgress?: (done: number, total: number) => void;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export type StepResult = CommandExit;

/**
 * Runs one trainer command through the shared process layer. Cancelling sends SIGTERM to its group (the evaluator
 * then keeps what it generated and writes metrics for it), SIGKILL after `graceMs`. Progress follows the events
 * file by file events, the way training does, not by polling.
 */
export async function runTrainerStep(options: StepOptions): Promise<StepResult> {
  const log = options.eventsFile ? new EventLog(options.eventsFile) : undefined;
  let reading = Promise.resolve();
  const read = () => {
    if (!log) return;
    reading = reading
      .then(async () => {
        for (const event of (await log.read()).events) {
          if (event.event === 'eval_progress') options.onProgress?.(event.done, event.total);
          if (event.event === 'eval_started') options.onProgress?.(0, event.total);
        }
      })
      .catch(() => undefined);
  };
  if (options.eventsFile) await fs.mkdir(path.dirname(options.eventsFile), { recursive: true });
  const stop = options.eventsFile ? watchFile(options.eventsFile, read) : () => undefined;
  try {
    return await runTrainerCommand({ ...options, graceMs: options.graceMs ?? CANCEL_GRACE_MS });
  } finally {
    stop();
    read();
    await reading;
  }
}
