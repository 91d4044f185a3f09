import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { EVALUATIONS_DIR, readEvaluationRecord, type EvaluationRecord } from '../evaluation/evaluationFolder';
import {
  appendPrediction,
  predictionRow,
  predictionsFile,
  usedPredictionIds,
  writeEvaluationRecord,
} from '../evaluation/evaluationWriter';
import type { PlaygroundDecoding, PlaygroundSide } from '../protocol/playground';
import { citedNumbers } from '../retrieval/citations';
import { retrievedOf, type PlaygroundExchangeGrounding } from './grounding';
import { withFileLock } from '../util/fileLock';
import { safeName } from './exportIndex';

/**
 * "Save for grading": each playground exchange becomes one example of an evaluation folder, in the evaluator's
 * predictions format (both sides under the same id), so the Grading panel, the answers documents and the
 * metrics pickers read it like any evaluation. One folder per checkpoint:
 * `.medqa/playground/<run>-<checkpoint>/evaluations/playground/`; the pickers find it through `evaluationHomes`.
 * (No vscode import.)
 */
export const PLAYGROUND_DIR = path.join('.medqa', 'playground');
export const PLAYGROUND_EVALUATION = 'playground';

export function playgroundHome(workspaceRoot: string, run: string, checkpoint: string): string {
  return path.join(workspaceRoot, PLAYGROUND_DIR, safeName(`${run}-${checkpoint}`));
}

export function playgroundEvaluationDir(workspaceRoot: string, run: string, checkpoint: string): string {
  return path.join(playgroundHome(workspaceRoot, run, checkpoint), EVALUATIONS_DIR, PLAYGROUND_EVALUATION);
}

export interface PlaygroundAnswer {
  text: string;
  tokenCount: number;
  reason: 'eos' | 'length' | 'cancelled';
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  exportDir: string;
}

export interface PlaygroundExchange {
  question: string;
  /** The QA pair the question was picked from; its reference answer is graded against. */
  pair: { id: string; qtype: string; reference: string } | null;
  decoding: PlaygroundDecoding;
  answers: Record<PlaygroundSide, PlaygroundAnswer>;
  runDir: string;
  checkpoint: string;
  model: string;
  at: Date;
  /** Set when the question was grounded in the dataset: the index and the sources both models were given. */
  grounding?: PlaygroundExchangeGrounding | null;
}

/**
 * Same settings, same hash: grades stay attached to answers made with the same decoding (as the evaluator's). As
 * in evaluate, a grounded answer's hash covers the retrieval (index data and k); closed-book hashes are unchanged.
 */
export function decodingHash(
  decoding: PlaygroundDecoding,
  grounding?: Pick<PlaygroundExchangeGrounding, 'dataHash' | 'k'> | null,
): string {
  const canonical = JSON.stringify({
    source: 'playground-onnx',
    max_new_tokens: decoding.maxNewTokens,
    temperature: decoding.temperature,
    top_p: decoding.topP,
    seed: decoding.seed,
    ...(grounding ? { retrieval: { index_data_hash: grounding.dataHash, k: grounding.k } } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** One side's predictions.jsonl row: the evaluator's fields, then what the Playground adds. */
export function predictionRowOf(
  exchange: PlaygroundExchange,
  side: PlaygroundSide,
  id: string,
): Record<string, unknown> {
  const answer = exchange.answers[side];
  const fields = {
    id,
    question: exchange.question,
    qtype: exchange.pair?.qtype ?? 'unknown',
    reference: exchange.pair?.reference ?? '',
    prediction: answer.text,
    truncated: answer.reason === 'length',
    newTokens: answer.tokenCount,
    decodingHash: decodingHash(exchange.decoding, exchange.grounding),
    scores: {},
    hygiene: answer.reason === 'cancelled' ? ['cancelled'] : [],
  };
  return predictionRow(fields, {
    source: 'playground',
    pair_id: exchange.pair?.id ?? null,
    decoding: {
      max_new_tokens: exchange.decoding.maxNewTokens,
      temperature: exchange.decoding.temperature,
      top_p: exchange.decoding.topP,
      seed: exchange.decoding.seed,
    },
    runtime: {
      engine: 'onnxruntime-node',
      export: answer.exportDir,
      time_to_first_token_ms: answer.timeToFirstTokenMs,
      tokens_per_second: answer.tokensPerSecond,
    },
    created_at: exchange.at.toISOString(),
    // Contract #3 of retrieval runs: the sources as given to the model and the numbers the answer cites.
    ...(exchange.grounding
      ? {
          retrieved: retrievedOf(exchange.grounding.sources),
          cited: citedNumbers(answer.text),
          retrieval: {
            index: exchange.grounding.index,
            index_data_hash: exchange.grounding.dataHash,
            k: exchange.grounding.k,
          },
        }
      : {}),
  });
}

/** `playground-20260131-142501`, with `-2`, `-3`… when taken. */
function exchangeId(at: Date, taken: ReadonlySet<string>): string {
  const iso = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `playground-${iso}`;
  let id = base;
  for (let n = 2; taken.has(id); n += 1) id = `${base}-${n}`;
  return id;
}

/**
 * Appends the exchange to both sides' predictions.jsonl under a fresh id (under a lock, so two windows never
 * write the same id) and writes evaluation.json when the folder is new. Returns the folder and the id.
 */
export async function saveExchange(
  workspaceRoot: string,
  exchange: PlaygroundExchange,
): Promise<{ dir: string; id: string }> {
  const run = path.basename(exchange.runDir);
  const checkpointName = path.basename(exchange.checkpoint);
  const dir = playgroundEvaluationDir(workspaceRoot, run, checkpointName);
  return withFileLock(predictionsFile(dir, 'adapter'), async (assertHeld) => {
    const id = exchangeId(exchange.at, await usedPredictionIds(dir, ['adapter', 'base']));
    const existing = existsSync(dir) ? await readEvaluationRecord(dir) : undefined;
    assertHeld();
    if (!existing) await writeEvaluationRecord(dir, evaluationRecord(exchange));
    // Base first: the adapter file is what marks an example as saved (the grading order follows it).
    await appendPrediction(dir, 'base', predictionRowOf(exchange, 'base', id));
    await appendPrediction(dir, 'adapter', predictionRowOf(exchange, 'adapter', id));
    return { dir, id };
  });
}

export function evaluationRecord(exchange: PlaygroundExchange): EvaluationRecord {
  return {
    format: 'medqa-evaluation',
    version: 1,
    createdAt: exchange.at.toISOString(),
    runDir: exchange.runDir,
    checkpoint: exchange.checkpoint,
    baseModel: exchange.model,
    // No test file: the questions were typed or picked in the playground.
    testFile: '',
    settings: {
      maxNewTokens: exchange.decoding.maxNewTokens,
      batchSize: 1,
      limit: null,
      evaluateBase: true,
    },
    status: 'finished',
  };
}
