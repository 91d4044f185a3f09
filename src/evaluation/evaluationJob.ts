import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { EvaluationSide, EvaluationStatus } from '../protocol/metricsPanel';
import {
  COMPARISON_FILE,
  sideDir,
  writeEvaluationRecord,
  type EvaluationRecord,
  type EvaluationSettings,
} from './evaluationFolder';
import { compareArgs, evaluateArgs, failureText, runTrainerStep, type StepResult } from './launcher';

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
  graceMs?: number;
}

export type EvaluationStage = { kind: 'evaluate'; side: EvaluationSide } | { kind: 'compare' };

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

/** The steps of a plan: the adapter first (its answers matter most if the user cancels), then the base, then compare. */
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

export function evaluationStages(settings: EvaluationSettings): EvaluationStage[] {
  const stages: EvaluationStage[] = [{ kind: 'evaluate', side: 'adapter' }];
  if (settings.evaluateBase) stages.push({ kind: 'evaluate', side: 'base' }, { kind: 'compare' });
  return stages;
}

/**
 * Runs one "Evaluate Checkpoint": `evaluate` for the adapter (and the base model) into `<dir>/{adapter,base}/`,
 * then `compare` into `<dir>/comparison.json`; `evaluation.json` records the plan and how it ended.
 * A cancelled step keeps what it generated; later steps are skipped.
 */
export async function runEvaluation(
  plan: EvaluationPlan,
  hooks: EvaluationHooks = {},
): Promise<EvaluationOutcome> {
  const record: EvaluationRecord = {
    format: 'medqa-evaluation',
    version: 1,
    createdAt: new Date().toISOString(),
    runDir: plan.runDir,
    checkpoint: plan.checkpoint,
    baseModel: plan.baseModel,
    testFile: plan.testFile,
    settings: plan.settings,
    status: 'running',
  };
  await writeEvaluationRecord(plan.evaluationDir, record);
  const finish = async (outcome: EvaluationOutcome): Promise<EvaluationOutcome> => {
    await writeEvaluationRecord(plan.evaluationDir, {
      ...record,
      status: outcome.status,
      finishedAt: new Date().toISOString(),
      ...(outcome.error ? { error: outcome.error } : {}),
    });
    return outcome;
  };
  const stages = evaluationStages(plan.settings);
  const common = {
    python: plan.python,
    env: plan.env,
    cwd: plan.cwd,
    signal: hooks.signal,
    graceMs: plan.graceMs,
    onOutput: hooks.onOutput,
  };
  try {
    for (const [index, stage] of stages.entries()) {
      hooks.onStage?.(stage, index, stages.length);
      let result: StepResult;
      if (stage.kind === 'evaluate') {
        const out = sideDir(plan.evaluationDir, stage.side);
        result = await runTrainerStep({
          ...common,
          args: evaluateArgs({
            model: plan.baseModel,
            adapter: stage.side === 'adapter' ? plan.checkpoint : undefined,
            data: plan.testFile,
            out,
            maxNewTokens: plan.settings.maxNewTokens,
            batchSize: plan.settings.batchSize,
            limit: plan.settings.limit,
            repetitionPenalty: plan.settings.repetitionPenalty,
          }),
          eventsFile: path.join(out, 'events.jsonl'),
          onProgress: (done, total) => hooks.onProgress?.(stage.side, done, total),
        });
      } else {
        result = await runTrainerStep({
          ...common,
          args: compareArgs(
            sideDir(plan.evaluationDir, 'base'),
            sideDir(plan.evaluationDir, 'adapter'),
            plan.evaluationDir,
          ),
        });
      }
      if (result.cancelled) return await finish({ status: 'cancelled' });
      if (result.code !== 0) {
        const what =
          stage.kind === 'compare'
            ? 'Comparing base and fine-tuned'
            : `Evaluating the ${stage.side === 'base' ? 'base model' : 'adapter'}`;
        return await finish({ status: 'failed', error: `${what} failed: ${failureText(result)}` });
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
