import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { EvaluationSide, EvaluationStatus } from '../protocol/metricsPanel';
import {
  COMPARISON_FILE,
  sideDir,
  type EngineExports,
  type EvaluationRecord,
  type EvaluationSettings,
} from './evaluationFolder';
import { writeEvaluationRecord } from './evaluationWriter';
import {
  agreementExamples,
  compareArgs,
  evaluateArgs,
  runTrainerStep,
  type StepOptions,
  type StepResult,
} from './launcher';
import { failureText } from '../trainer/process';
import {
  RETRIEVAL_COMPARISON_DIR,
  RETRIEVAL_SIDE_DIR,
  baselineArgs,
  indexBuildArgs,
  isIndexReady,
  ragArgs,
} from './retrievalSide';

export interface EvaluationPlan {
  python: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  runDir: string;
  evaluationDir: string;
  /** Adapter folder (a `checkpoint-<step>/` or the final `adapter/`). */
  checkpoint: string;
  baseModel: string;
  testFile: string;
  settings: EvaluationSettings;
  /**
   * The retrieval side: an index over the run's training data (built from `trainData` when the folder is not a
   * complete index yet) and the top-1 retrieval baseline. Absent when no training data is known.
   */
  retrieval?: { index: string; trainData: string };
  /** The fp32 exports both sides generate with when `settings.engine` is 'onnx'. */
  exports?: EngineExports;
  graceMs?: number;
}

export type EvaluationStage =
  | { kind: 'index' }
  | { kind: 'baseline' }
  | { kind: 'evaluate'; side: EvaluationSide }
  /** `compare --base <against> --candidate adapter`. */
  | { kind: 'compare'; against: 'base' | 'retrieval' };

export interface EvaluationHooks {
  signal?: AbortSignal;
  onStage?: (stage: EvaluationStage, index: number, count: number) => void;
  onProgress?: (side: EvaluationSide, done: number, total: number) => void;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface EvaluationOutcome {
  status: Exclude<EvaluationStatus, 'running' | 'unknown'>;
  error?: string;
}

/**
 * Seconds left, measured from this generation stage's answers so far: the rest of this stage plus every later
 * generation stage at the same pace (the base model and the fine-tuned one answer at about the same speed).
 * Undefined until a first answer is done; what it says before then would be a guess.
 */
export function secondsLeft(
  stage: { elapsedMs: number; done: number; total: number },
  laterStages: number,
): number | undefined {
  if (stage.done <= 0 || stage.total <= 0) return undefined;
  const perAnswer = stage.elapsedMs / 1000 / stage.done;
  return perAnswer * (stage.total - stage.done) + perAnswer * stage.total * laterStages;
}

/** "about 12 min left", "about 40 s left". */
export function leftText(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

/**
 * The steps of a plan. The retrieval side comes first: it takes seconds, a RAG evaluation needs its index, and a
 * refusal (an index holding a test pair) shows before any long generation. Then the adapter (its answers matter
 * most if the user cancels), the base model, and the comparisons.
 */
export function evaluationStages(
  settings: EvaluationSettings,
  retrieval?: { buildIndex: boolean },
): EvaluationStage[] {
  const stages: EvaluationStage[] = [];
  if (retrieval?.buildIndex) stages.push({ kind: 'index' });
  if (retrieval) stages.push({ kind: 'baseline' });
  stages.push({ kind: 'evaluate', side: 'adapter' });
  if (settings.evaluateBase)
    stages.push({ kind: 'evaluate', side: 'base' }, { kind: 'compare', against: 'base' });
  if (retrieval) stages.push({ kind: 'compare', against: 'retrieval' });
  return stages;
}

/** The stages of a plan as it stands on disk (an index already built is reused). */
export function planStages(plan: EvaluationPlan): EvaluationStage[] {
  return evaluationStages(
    plan.settings,
    plan.retrieval ? { buildIndex: !isIndexReady(plan.retrieval.index) } : undefined,
  );
}

function stageFailure(stage: EvaluationStage): string {
  switch (stage.kind) {
    case 'index':
      return 'Building the retrieval index over the training data';
    case 'baseline':
      return 'The retrieval baseline';
    case 'compare':
      return stage.against === 'base'
        ? 'Comparing base and fine-tuned'
        : 'Comparing retrieval-only and fine-tuned';
    case 'evaluate':
      return `Evaluating the ${stage.side === 'base' ? 'base model' : 'adapter'}`;
  }
}

/**
 * Runs one "Evaluate Checkpoint": the retrieval side (index, then `baseline` into `<dir>/retrieval/`), `evaluate`
 * for the adapter (and the base model) into `<dir>/{adapter,base}/`, then `compare` into `<dir>/comparison.json`
 * and `<dir>/versus-retrieval/comparison.json`; `evaluation.json` records the plan and how it ended.
 * A cancelled step keeps what it generated; later steps are skipped. In a closed-book evaluation a failed retrieval
 * side is recorded and the models are still evaluated; a RAG evaluation cannot run without its index.
 */
export async function runEvaluation(
  plan: EvaluationPlan,
  hooks: EvaluationHooks = {},
): Promise<EvaluationOutcome> {
  const rag = plan.settings.rag ?? null;
  const missing = missingInput(plan);
  if (missing) return { status: 'failed', error: missing };
  const record: EvaluationRecord = {
    format: 'medqa-evaluation',
    version: 1,
    createdAt: new Date().toISOString(),
    runDir: plan.runDir,
    checkpoint: plan.checkpoint,
    baseModel: plan.baseModel,
    testFile: plan.testFile,
    settings: plan.settings,
    ...(plan.retrieval
      ? { retrieval: { index: plan.retrieval.index, trainData: plan.retrieval.trainData, status: 'running' } }
      : {}),
    ...(plan.settings.engine === 'onnx' && plan.exports ? { exports: plan.exports } : {}),
    status: 'running',
  };
  await writeEvaluationRecord(plan.evaluationDir, record);
  const finish = async (outcome: EvaluationOutcome): Promise<EvaluationOutcome> => {
    await writeEvaluationRecord(plan.evaluationDir, {
      ...record,
      ...(record.retrieval?.status === 'running'
        ? { retrieval: { ...record.retrieval, status: outcome.status } }
        : {}),
      status: outcome.status,
      finishedAt: new Date().toISOString(),
      ...(outcome.error ? { error: outcome.error } : {}),
    });
    return outcome;
  };
  const stages = planStages(plan);
  const common = {
    python: plan.python,
    env: plan.env,
    cwd: plan.cwd,
    signal: hooks.signal,
    graceMs: plan.graceMs,
    onOutput: hooks.onOutput,
  };
  const retrievalDir = path.join(plan.evaluationDir, RETRIEVAL_SIDE_DIR);
  let retrievalFailed = false;
  try {
    for (const [index, stage] of stages.entries()) {
      if (retrievalFailed && stage.kind === 'compare' && stage.against === 'retrieval') continue;
      if (retrievalFailed && stage.kind === 'baseline') continue;
      hooks.onStage?.(stage, index, stages.length);
      const result = await runStage(plan, stage, common, hooks, retrievalDir);
      if (result.cancelled) return await finish({ status: 'cancelled' });
      if (result.code !== 0) {
        const error = `${stageFailure(stage)} failed: ${failureText(result)}`;
        if ((stage.kind === 'index' || stage.kind === 'baseline') && !rag && record.retrieval) {
          // Closed-book: the models can still be evaluated; the panel says why the retrieval column is missing.
          retrievalFailed = true;
          record.retrieval = { ...record.retrieval, status: 'failed', error };
          await writeEvaluationRecord(plan.evaluationDir, record);
          hooks.onOutput?.(error, 'stderr');
          continue;
        }
        return await finish({ status: 'failed', error });
      }
      if (stage.kind === 'baseline' && record.retrieval) {
        record.retrieval = { ...record.retrieval, status: 'finished' };
        await writeEvaluationRecord(plan.evaluationDir, record);
      }
    }
    if (plan.settings.evaluateBase && !existsSync(path.join(plan.evaluationDir, COMPARISON_FILE))) {
      return await finish({ status: 'failed', error: `compare finished without writing ${COMPARISON_FILE}` });
    }
    return await finish({ status: 'finished' });
  } catch (error) {
    return finish({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
}

/** What a plan lacks to run at all, in words. */
function missingInput(plan: EvaluationPlan): string | undefined {
  if (plan.settings.rag && !plan.retrieval)
    return 'A RAG evaluation needs training data to index; none is known for this run.';
  if (plan.settings.engine === 'onnx' && !plan.exports)
    return 'An ONNX Runtime evaluation needs the ONNX exports of the checkpoint and base.';
  return undefined;
}

/** The export each side generates from, and how many of its answers PyTorch gives too (the engines' agreement). */
function onnxInput(
  plan: EvaluationPlan,
  side: EvaluationSide,
): { export: string; checkAgreement: number } | undefined {
  if (plan.settings.engine !== 'onnx' || !plan.exports) return undefined;
  return { export: plan.exports[side], checkAgreement: agreementExamples(plan.settings.batchSize) };
}

type Common = Pick<StepOptions, 'python' | 'env' | 'cwd' | 'signal' | 'graceMs' | 'onOutput'>;

function runStage(
  plan: EvaluationPlan,
  stage: EvaluationStage,
  common: Common,
  hooks: EvaluationHooks,
  retrievalDir: string,
): Promise<StepResult> {
  const retrieval = plan.retrieval;
  switch (stage.kind) {
    case 'index':
      return runTrainerStep({
        ...common,
        args: indexBuildArgs(retrieval?.trainData ?? '', retrieval?.index ?? ''),
      });
    case 'baseline':
      return runTrainerStep({
        ...common,
        args: baselineArgs({
          index: retrieval?.index ?? '',
          data: plan.testFile,
          out: retrievalDir,
          limit: plan.settings.limit,
        }),
      });
    case 'compare':
      return stage.against === 'base'
        ? runTrainerStep({
            ...common,
            args: compareArgs(
              sideDir(plan.evaluationDir, 'base'),
              sideDir(plan.evaluationDir, 'adapter'),
              plan.evaluationDir,
            ),
          })
        : runTrainerStep({
            ...common,
            args: compareArgs(
              retrievalDir,
              sideDir(plan.evaluationDir, 'adapter'),
              path.join(plan.evaluationDir, RETRIEVAL_COMPARISON_DIR),
            ),
          });
    case 'evaluate': {
      const out = sideDir(plan.evaluationDir, stage.side);
      const rag = plan.settings.rag;
      return runTrainerStep({
        ...common,
        args: [
          ...evaluateArgs({
            model: plan.baseModel,
            adapter: stage.side === 'adapter' ? plan.checkpoint : undefined,
            data: plan.testFile,
            out,
            maxNewTokens: plan.settings.maxNewTokens,
            batchSize: plan.settings.batchSize,
            limit: plan.settings.limit,
            repetitionPenalty: plan.settings.repetitionPenalty,
            onnx: onnxInput(plan, stage.side),
          }),
          ...(rag && retrieval ? ragArgs(retrieval.index, rag) : []),
        ],
        eventsFile: path.join(out, 'events.jsonl'),
        onProgress: (done, total) => hooks.onProgress?.(stage.side, done, total),
      });
    }
  }
}
