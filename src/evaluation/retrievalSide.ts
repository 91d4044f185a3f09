import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { INDEX_FORMAT } from '../retrieval/contract';
import { RETRIEVAL_DIR } from '../retrieval/indexes';
import { runTrainerCommand, trainerArgs, type CommandExit } from '../trainer/process';

/**
 * The retrieval side of an evaluation (issue 18): an index over the run's training data, and the trainer's
 * `baseline` (each test question answered with the top-1 retrieved training answer, no model). Core code: no vscode.
 *
 * The index is cached by the content hash of the training file under `.medqa/retrieval/auto-<hash>/` (beside the
 * indexes of "Build Retrieval Index", src/retrieval/), so every evaluation of runs trained on the same export (and
 * every RAG training run on it) shares one index; new training data gets a new folder, so it is never stale.
 */
export const RETRIEVAL_SIDE_DIR = 'retrieval';
/** `compare --base retrieval --candidate adapter` writes its comparison.json here. */
export const RETRIEVAL_COMPARISON_DIR = 'versus-retrieval';
export const INDEX_MANIFEST = 'manifest.json';
/** The trainer's defaults (config.py, evaluate): k sources, their token budget in the user turn. */
export const DEFAULT_RAG_K = 3;
export const DEFAULT_CONTEXT_TOKENS = 384;

/** Generation with retrieved sources: both model sides get the top-k passages of the index in their prompt. */
export interface RagSettings {
  k: number;
  contextTokens?: number;
}

/** "RAG k=3" for the Metrics panel and the evaluation list; "closed-book" otherwise. */
export function modeLabel(rag: RagSettings | null | undefined): string {
  return rag ? `RAG k=${rag.k}` : 'closed-book';
}

/** sha256 of a file's bytes, streamed (a training split can be tens of MB). */
export async function fileHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `<workspace>/.medqa/retrieval/auto-<first 16 hex of the training file's sha256>`. */
export function autoIndexDir(workspaceRoot: string, trainFileHash: string): string {
  return path.join(workspaceRoot, RETRIEVAL_DIR, `auto-${trainFileHash.slice(0, 16)}`);
}

/** An index folder is complete once its manifest is there: `index build` writes the folder atomically. */
export function isIndexReady(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, INDEX_MANIFEST), 'utf8')) as {
      format?: unknown;
    };
    return manifest.format === INDEX_FORMAT;
  } catch {
    return false;
  }
}

/** `index build --data <chat JSONL> --out <dir>`: every line of a training split is a training pair. */
export function indexBuildArgs(data: string, out: string): string[] {
  return trainerArgs('index', ['build', '--data', data, '--out', out]);
}

export function baselineArgs(input: {
  index: string;
  data: string;
  out: string;
  limit: number | null;
}): string[] {
  const args = trainerArgs('baseline', ['--index', input.index, '--data', input.data, '--out', input.out]);
  // The same seeded sample as `evaluate --limit` (same default seed), so the sides pair up example by example.
  if (input.limit !== null) args.push('--limit', String(input.limit));
  return args;
}

/** The arguments `evaluate` takes to generate with retrieved sources. */
export function ragArgs(index: string, rag: RagSettings): string[] {
  const args = ['--retrieval-index', index, '--k', String(rag.k)];
  if (rag.contextTokens !== undefined && rag.contextTokens !== DEFAULT_CONTEXT_TOKENS)
    args.push('--retrieval-context-tokens', String(rag.contextTokens));
  return args;
}

/** What is wrong with RAG settings, in words (the trainer's own limits: k 1-20, at least 64 context tokens). */
export function ragProblem(rag: RagSettings): string | undefined {
  if (!Number.isInteger(rag.k) || rag.k < 1 || rag.k > 20)
    return 'Retrieved sources (k) must be a whole number from 1 to 20.';
  if (rag.contextTokens !== undefined && (!Number.isInteger(rag.contextTokens) || rag.contextTokens < 64))
    return 'The token budget for retrieved sources must be a whole number of at least 64.';
  return undefined;
}

/**
 * The training data an evaluation's retrieval side indexes: the run's `train_file` (run config; relative to the run
 * folder), else the
 * `train.jsonl` beside the test file (an export folder). Undefined when neither exists: then no retrieval side.
 * Never the test file itself: an index over it would hold every evaluated pair.
 */
export function trainingDataFor(trainFile: unknown, testFile: string, runDir: string): string | undefined {
  const candidates = [
    // A shipped run's config.yaml holds paths relative to the run folder (the demo's `../../data/train.jsonl`).
    typeof trainFile === 'string' && trainFile ? path.resolve(runDir, trainFile) : undefined,
    path.join(path.dirname(testFile), 'train.jsonl'),
  ];
  return candidates.find(
    (file): file is string => !!file && file !== path.resolve(testFile) && existsSync(file),
  );
}

/**
 * The training-split index of `trainFile` for a workspace, built when missing (a grounded training run needs it before
 * it starts). `index`: its folder; `exit`: the build's exit when one ran (undefined when the index was reused).
 */
export async function ensureTrainingIndex(options: {
  python: string;
  env: NodeJS.ProcessEnv;
  workspaceRoot: string;
  trainFile: string;
  signal?: AbortSignal;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}): Promise<{ index: string; exit?: CommandExit }> {
  const index = autoIndexDir(options.workspaceRoot, await fileHash(options.trainFile));
  if (isIndexReady(index)) return { index };
  const exit = await runTrainerCommand({
    python: options.python,
    args: indexBuildArgs(options.trainFile, index),
    env: options.env,
    graceMs: 5_000,
    signal: options.signal,
    onOutput: options.onOutput,
  });
  return { index, exit };
}
