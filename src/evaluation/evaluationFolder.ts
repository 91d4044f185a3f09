import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type {
  EvaluationSide,
  EvaluationStatus,
  EvaluationSummary,
  HygieneSummary,
  RetrievalSummary,
  SideInfo,
} from '../protocol/metricsPanel';
import {
  readComparison,
  readMetrics,
  type ComparisonDocument,
  type MetricsDocument,
} from './evaluationFiles';
import { buildTables } from './tables';
import { RETRIEVAL_COMPARISON_DIR, RETRIEVAL_SIDE_DIR, modeLabel, type RagSettings } from './retrievalSide';
import { withRetrieval } from './retrievalTables';
import { pushAll } from '../util/arrays';
import { importedRunHome } from './importedRuns';

/**
 * An evaluation lives in its run: `<run>/evaluations/<timestamp>/` holds `evaluation.json` (what was evaluated,
 * with which settings), `base/` and `adapter/` (each the evaluator's `--out`) and `comparison.json`.
 */
export const EVALUATIONS_DIR = 'evaluations';
export const EVALUATION_FILE = 'evaluation.json';
export const COMPARISON_FILE = 'comparison.json';
export const SIDES: readonly EvaluationSide[] = ['base', 'adapter'];

export interface EvaluationSettings {
  maxNewTokens: number;
  batchSize: number;
  /** Evaluate a seeded, qtype-stratified sample of K test examples; null: all. */
  limit: number | null;
  evaluateBase: boolean;
  /** Generation's repetition penalty (1: off). Older evaluation records lack it. */
  repetitionPenalty?: number;
  /** Both models generate with the top-k retrieved sources (RAG); absent or null: closed-book. */
  rag?: RagSettings | null;
  /** Which engine generates: PyTorch (absent: records from before engines) or onnxruntime on the fp32 exports. */
  engine?: EvaluationEngine;
}

export type EvaluationEngine = 'torch' | 'onnx';

/** The ONNX exports an `onnx` evaluation generated with: the checkpoint's (base + adapter merged) and the base's. */
export interface EngineExports {
  adapter: string;
  base: string;
}

/** The retrieval side of an evaluation: the index it used (over `trainData`) and how its baseline ended. */
export interface RetrievalRecord {
  index: string;
  trainData: string;
  status: 'running' | 'finished' | 'cancelled' | 'failed';
  error?: string;
}

export interface EvaluationRecord {
  format: 'medqa-evaluation';
  version: 1;
  createdAt: string;
  runDir: string;
  checkpoint: string;
  baseModel: string;
  testFile: string;
  settings: EvaluationSettings;
  /** Absent in evaluations from before issue 18, and when no training data was known to index. */
  retrieval?: RetrievalRecord;
  /** The export folders of an `engine: 'onnx'` evaluation. */
  exports?: EngineExports;
  status: EvaluationStatus;
  finishedAt?: string;
  error?: string;
}

/**
 * Where a run's evaluations are written: in the run, except for a run imported read-only (a Hugging Face folder
 * we must not write into), whose evaluations go to `<workspace>/.medqa/imported-runs/<run>-<hash>/evaluations/`
 * (see importedRuns.ts).
 */
export function evaluationHome(
  run: { dir: string; source?: string },
  workspaceRoot: string | undefined,
): string {
  if (run.source !== 'huggingface') return run.dir;
  if (!workspaceRoot)
    throw new Error(`${run.dir} is imported read-only: open a workspace folder to keep its evaluations.`);
  return importedRunHome(run.dir, workspaceRoot);
}

export function sideDir(evaluationDir: string, side: EvaluationSide): string {
  return path.join(evaluationDir, side);
}

export async function readEvaluationRecord(dir: string): Promise<EvaluationRecord | undefined> {
  try {
    const value = JSON.parse(
      await fs.readFile(path.join(dir, EVALUATION_FILE), 'utf8'),
    ) as Partial<EvaluationRecord>;
    return value.format === 'medqa-evaluation' ? (value as EvaluationRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The run folder an evaluation belongs to (`<run>/evaluations/<name>`), when it sits in that layout. */
export function runDirOfEvaluation(dir: string): string | undefined {
  const parent = path.dirname(path.resolve(dir));
  return path.basename(parent) === EVALUATIONS_DIR ? path.dirname(parent) : undefined;
}

/** "greedy · max 256 new tokens" from metrics.json `decoding`. */
function decodingText(decoding: Record<string, unknown> | null): string | null {
  if (!decoding) return null;
  const parts = [
    decoding.do_sample === true ? `sampling (T=${String(decoding.temperature ?? 1)})` : 'greedy',
  ];
  if (typeof decoding.max_new_tokens === 'number') parts.push(`max ${decoding.max_new_tokens} new tokens`);
  if (typeof decoding.repetition_penalty === 'number' && decoding.repetition_penalty !== 1)
    parts.push(`repetition penalty ${decoding.repetition_penalty}`);
  if (decoding.enable_thinking === true) parts.push('thinking on');
  return parts.join(' · ');
}

function sideInfo(metrics: MetricsDocument, predictionsFile: string): SideInfo {
  return {
    n: metrics.n,
    total: metrics.total,
    cancelled: metrics.cancelled,
    model: metrics.model,
    adapter: metrics.adapter,
    decoding: decodingText(metrics.decoding),
    device: metrics.runtime?.device ?? null,
    seconds: metrics.runtime?.seconds ?? null,
    predictionsFile: existsSync(predictionsFile) ? predictionsFile : null,
  };
}

/**
 * The retrieval side of an evaluation folder: `retrieval/metrics.json` (the baseline) and
 * `versus-retrieval/comparison.json`. Folders from before it existed have neither and still open.
 */
async function loadRetrievalSide(
  dir: string,
  record: EvaluationRecord | undefined,
  problems: string[],
  notes: string[],
): Promise<{
  metrics: MetricsDocument | null;
  versus: ComparisonDocument | null;
  summary: RetrievalSummary | null;
}> {
  const error = record?.retrieval?.status === 'failed' ? (record.retrieval.error ?? 'failed') : null;
  if (error) notes.push(`No retrieval-only column: ${error}`);
  const recordedIndex = record?.retrieval?.index ? path.resolve(dir, record.retrieval.index) : null;
  const folder = path.join(dir, RETRIEVAL_SIDE_DIR);
  const versusFile = path.join(dir, RETRIEVAL_COMPARISON_DIR, COMPARISON_FILE);
  if (!existsSync(folder) && !existsSync(versusFile)) {
    return {
      metrics: null,
      versus: null,
      summary: record?.retrieval ? emptyRetrieval(recordedIndex, error) : null,
    };
  }
  const read = await readMetrics(path.join(folder, 'metrics.json'));
  const missing = read.problems.length === 1 && read.problems[0].endsWith('no such file');
  if (!missing) pushAll(problems, read.problems);
  const versus = existsSync(versusFile) ? await readComparison(versusFile) : undefined;
  if (versus) pushAll(problems, versus.problems);
  const summary: RetrievalSummary = {
    ...emptyRetrieval(recordedIndex, error),
    side: read.value ? sideInfo(read.value, path.join(folder, 'predictions.jsonl')) : null,
    paired: Boolean(versus?.value),
    n: versus?.value?.n ?? read.value?.n ?? null,
  };
  return { metrics: read.value, versus: versus?.value ?? null, summary };
}

function emptyRetrieval(index: string | null, error: string | null): RetrievalSummary {
  return { side: null, index, paired: false, n: null, error };
}

type SideMetrics = Partial<Record<EvaluationSide, MetricsDocument>>;

/** Each side's metrics.json (a side still running has none yet, which is not a problem). */
async function loadSides(
  dir: string,
  record: EvaluationRecord | undefined,
  problems: string[],
  notes: string[],
): Promise<{ metrics: SideMetrics; sides: Record<EvaluationSide, SideInfo | null> }> {
  const metrics: SideMetrics = {};
  const sides: Record<EvaluationSide, SideInfo | null> = { base: null, adapter: null };
  for (const side of SIDES) {
    const folder = sideDir(dir, side);
    if (!existsSync(folder)) continue;
    const read = await readMetrics(path.join(folder, 'metrics.json'));
    const predictions = path.join(folder, 'predictions.jsonl');
    // A side still running (or cancelled before any batch) has no metrics.json yet: not a problem.
    if (read.problems.length === 1 && read.problems[0].endsWith('no such file')) {
      if (record?.status !== 'running')
        notes.push(`The ${side === 'base' ? 'base model' : 'fine-tuned'} evaluation wrote no metrics.`);
      continue;
    }
    pushAll(problems, read.problems);
    if (!read.value) continue;
    metrics[side] = read.value;
    sides[side] = sideInfo(read.value, predictions);
  }
  return { metrics, sides };
}

/** What the reader should know about how the sides compare: cancelled sides, unpaired answers, other decoding. */
function pairingNotes(
  metrics: SideMetrics,
  sides: Record<EvaluationSide, SideInfo | null>,
  paired: ComparisonDocument | null | undefined,
): string[] {
  const notes: string[] = [];
  for (const side of SIDES) {
    const info = sides[side];
    if (info?.cancelled) {
      notes.push(
        `The ${side === 'base' ? 'base model' : 'fine-tuned'} evaluation was cancelled after ${info.n} of ${info.total ?? '?'} examples.`,
      );
    }
  }
  if (paired && (paired.onlyInBase > 0 || paired.onlyInCandidate > 0)) {
    notes.push(
      `Compared on the ${paired.n} examples both models answered (${paired.onlyInBase} only in base, ${paired.onlyInCandidate} only in fine-tuned).`,
    );
  }
  if (
    paired?.base.decodingHash &&
    paired.candidate.decodingHash &&
    paired.base.decodingHash !== paired.candidate.decodingHash
  ) {
    notes.push(
      'The two evaluations used different decoding settings; their scores are not directly comparable.',
    );
  }
  if (!metrics.base && !paired && metrics.adapter)
    notes.push('Only the fine-tuned model was evaluated (no base model to compare with).');
  return notes;
}

/** Everything the Metrics panel and the exports show for one evaluation folder; unreadable parts become problems. */
export async function loadEvaluation(dir: string): Promise<EvaluationSummary> {
  const record = await readEvaluationRecord(dir);
  const problems: string[] = [];
  const notes: string[] = [];
  const { metrics, sides } = await loadSides(dir, record, problems, notes);
  const comparisonFile = path.join(dir, COMPARISON_FILE);
  const comparison = existsSync(comparisonFile) ? await readComparison(comparisonFile) : undefined;
  if (comparison) pushAll(problems, comparison.problems);
  const retrieval = await loadRetrievalSide(dir, record, problems, notes);
  const tables = withRetrieval(
    buildTables(metrics.base ?? null, metrics.adapter ?? null, comparison?.value ?? null),
    retrieval.metrics,
    retrieval.versus,
  );
  pushAll(notes, pairingNotes(metrics, sides, comparison?.value));
  const hygiene: HygieneSummary[] = [];
  for (const side of SIDES) {
    const report = metrics[side]?.hygiene;
    if (report) hygiene.push({ side, ...report });
  }
  // Paths in a shipped evaluation (the demo's) are relative to its folder, so the run can move.
  const recorded = (value: string | undefined) => (value ? path.resolve(dir, value) : undefined);
  const runDir = recorded(record?.runDir) ?? runDirOfEvaluation(dir);
  const runName = runDir ? path.basename(runDir) : null;
  const status: EvaluationStatus =
    record?.status ?? (metrics.adapter || metrics.base ? 'finished' : 'unknown');
  return {
    dir,
    title: `${runName ? `${runName} · ` : ''}${path.basename(dir)}${record?.settings.rag ? ` · ${modeLabel(record.settings.rag)}` : ''}`,
    runName,
    checkpoint: recorded(record?.checkpoint) ?? metrics.adapter?.adapter ?? null,
    baseModel: record?.baseModel ?? metrics.base?.model ?? metrics.adapter?.model ?? null,
    testFile: recorded(record?.testFile) ?? null,
    createdAt: record?.createdAt ?? null,
    status,
    mode: modeLabel(record?.settings.rag),
    sides,
    retrieval: retrieval.summary,
    paired: tables.paired,
    n: tables.n,
    metrics: tables.metrics,
    overall: tables.overall,
    byQtype: tables.byQtype,
    hygiene,
    notes,
    problems,
  };
}

/** Is this a folder the evaluation views can show (ours, or a bare `evaluate --out` folder)? */
export function isEvaluationFolder(dir: string): boolean {
  return (
    existsSync(path.join(dir, EVALUATION_FILE)) ||
    existsSync(path.join(dir, COMPARISON_FILE)) ||
    SIDES.some((side) => existsSync(path.join(dir, side, 'metrics.json')))
  );
}

export interface EvaluationEntry {
  dir: string;
  runName: string;
  name: string;
  record?: EvaluationRecord;
  /** Sort key: the record's creation time, else the folder's. */
  createdAt: number;
}

/** Every `<runsDir>/*\/evaluations/*` (and those of extra run folders), newest first. */
export async function listEvaluations(runDirs: readonly string[]): Promise<EvaluationEntry[]> {
  const entries: EvaluationEntry[] = [];
  for (const runDir of new Set(runDirs.map((d) => path.resolve(d)))) {
    const parent = path.join(runDir, EVALUATIONS_DIR);
    let names: string[];
    try {
      names = await fs.readdir(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(parent, name);
      if (!isEvaluationFolder(dir)) continue;
      const record = await readEvaluationRecord(dir);
      const created = record?.createdAt ? Date.parse(record.createdAt) : (await fs.stat(dir)).mtimeMs;
      entries.push({
        dir,
        runName: path.basename(runDir),
        name,
        record,
        createdAt: Number.isFinite(created) ? created : 0,
      });
    }
  }
  return entries.sort((a, b) => b.createdAt - a.createdAt || b.dir.localeCompare(a.dir));
}
