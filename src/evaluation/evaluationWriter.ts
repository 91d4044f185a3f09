import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EvaluationSide } from '../protocol/metricsPanel';
import { writeJsonAtomic } from '../util/atomicFile';
import { appendJsonLine } from '../util/jsonlAppend';
import { EVALUATION_FILE, EVALUATIONS_DIR, sideDir, type EvaluationRecord } from './evaluationFolder';

/**
 * Writing evaluation folders from the extension (the trainer's `evaluate` writes the sides' outputs in Python):
 * the folder and its evaluation.json (for an evaluation job and the Playground alike), and prediction rows in the
 * evaluator's predictions.jsonl format (contract #3, docs/protocol.md), appended so that a saved answer survives
 * a crash. The Playground's saved exchanges are written through here. Reading is evaluationFolder.ts's. (No vscode
 * import.)
 */
export const PREDICTIONS_FILE = 'predictions.jsonl';

/** `20260131-142501`: sorts by time, unique per second (a suffix is added when taken). */
export function evaluationFolderName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/** Creates `<run>/evaluations/<timestamp>[-N]/` and returns it. */
export async function createEvaluationFolder(runDir: string, now = new Date()): Promise<string> {
  const parent = path.join(runDir, EVALUATIONS_DIR);
  await fs.mkdir(parent, { recursive: true });
  const name = evaluationFolderName(now);
  for (let attempt = 1; ; attempt += 1) {
    const dir = path.join(parent, attempt === 1 ? name : `${name}-${attempt}`);
    try {
      await fs.mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

export async function writeEvaluationRecord(dir: string, record: EvaluationRecord): Promise<void> {
  await writeJsonAtomic(path.join(dir, EVALUATION_FILE), record);
}

/** The fields `evaluate` writes in every row, in its order; a row may add its own after them. */
export interface PredictionFields {
  id: string;
  question: string;
  qtype: string;
  /** The reference answer graded against ('' when there is none). */
  reference: string;
  prediction: string;
  /** Generation stopped at max_new_tokens. */
  truncated: boolean;
  newTokens: number;
  decodingHash: string;
  /** Per-example scores; empty when the answer was not scored (the metrics come from `score` later). */
  scores: Record<string, number | null>;
  hygiene: string[];
}

/** One predictions.jsonl row: the evaluator's fields (snake_case, in its order), then `extra`. */
export function predictionRow(
  fields: PredictionFields,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: fields.id,
    question: fields.question,
    qtype: fields.qtype,
    reference: fields.reference,
    prediction: fields.prediction,
    truncated: fields.truncated,
    new_tokens: fields.newTokens,
    decoding_hash: fields.decodingHash,
    scores: fields.scores,
    hygiene: fields.hygiene,
    ...extra,
  };
}

export function predictionsFile(evaluationDir: string, side: EvaluationSide): string {
  return path.join(sideDir(evaluationDir, side), PREDICTIONS_FILE);
}

/**
 * Appends one row to a side's predictions.jsonl, fsynced before it returns. A line left torn by a crash gets its
 * newline first, so the row stays a line of its own and no saved row is lost.
 */
export async function appendPrediction(
  evaluationDir: string,
  side: EvaluationSide,
  row: Record<string, unknown>,
): Promise<void> {
  const file = predictionsFile(evaluationDir, side);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await appendJsonLine(file, row, { durable: true, closeTornLine: true });
}

/** The ids the rows of `sides` already use (a torn line is skipped: the predictions reader reports it). */
export async function usedPredictionIds(
  evaluationDir: string,
  sides: readonly EvaluationSide[],
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const side of sides) {
    const text = await fs.readFile(predictionsFile(evaluationDir, side), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const id = (JSON.parse(line) as { id?: unknown } | null)?.id;
        if (typeof id === 'string' || typeof id === 'number') ids.add(String(id));
      } catch {
        // A torn line: the predictions reader reports it.
      }
    }
  }
  return ids;
}
