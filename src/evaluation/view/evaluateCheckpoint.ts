import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { EVALUATION, trainerPython } from '../../trainer/view/trainerPython';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import type { ExtensionServices } from '../../vscode/services';
import { readEvaluationRecord, type EngineExports } from '../evaluationFolder';
import { Commands } from '../../commands';
import type { CheckpointTarget } from './evaluationTargets';
import { createEvaluationFolder } from '../evaluationWriter';
import { planStages, type EvaluationOutcome, type EvaluationPlan } from '../evaluationJob';
import {
  autoIndexDir,
  fileHash,
  isIndexReady,
  modeLabel,
  ragProblem,
  trainingDataFor,
} from '../retrievalSide';
import { settingsProblem } from '../launcher';
import { chooseInputs, chooseSettings, isOptions } from './evaluationInputs';
import { runWithProgress } from './evaluationProgress';

/**
 * The retrieval side of a plan: the run's own RAG index when it trained with one, else the workspace's cached index
 * over the training data (`.medqa/retrieval/auto-<hash>/`, built by the evaluation when missing).
 */
async function retrievalPlan(
  services: ExtensionServices,
  runDir: string,
  config: Record<string, unknown>,
  trainData: string | undefined,
): Promise<EvaluationPlan['retrieval']> {
  const root = services.workspaceRoot();
  if (!trainData) return undefined;
  const own =
    typeof config.retrieval_index === 'string' ? path.resolve(runDir, config.retrieval_index) : undefined;
  if (own && isIndexReady(own)) return { index: own, trainData };
  if (!root) return undefined;
  return { index: autoIndexDir(root, await fileHash(trainData)), trainData };
}

/** The outcome told: the Metrics panel on what was scored, a failure thrown, a cancel or a missing baseline said. */
async function reportOutcome(
  outcome: EvaluationOutcome,
  evaluationDir: string,
  showMetrics: (dir: string) => Promise<void>,
): Promise<void> {
  if (outcome.status === 'failed') {
    await showMetrics(evaluationDir).catch(() => undefined);
    throw new Error(outcome.error ?? 'The evaluation failed; see the log.');
  }
  await showMetrics(evaluationDir);
  if (outcome.status === 'cancelled') {
    void vscode.window.showInformationMessage(
      'MedQA: evaluation cancelled. The answers generated so far were kept and scored.',
    );
  }
  const retrievalError = (await readEvaluationRecord(evaluationDir))?.retrieval?.error;
  if (retrievalError && outcome.status === 'finished')
    void vscode.window.showWarningMessage(
      `MedQA: no retrieval-only baseline in this evaluation. ${retrievalError}`,
    );
}

/**
 * The fp32 ONNX exports of the checkpoint and its base model that the Playground uses, made first with "Export
 * Checkpoint to ONNX" where either is missing; undefined when that export was cancelled.
 */
async function engineExports(
  artifacts: ArtifactIndex,
  target: CheckpointTarget,
  baseModel: string,
): Promise<EngineExports | undefined> {
  const fp32 = (summary: object) => (summary as { quantization?: unknown }).quantization == null;
  await artifacts.exports.refresh();
  const adapter = artifacts.exports.of(target.checkpoint).find(fp32)?.dir;
  const base = artifacts.exports.baseOf(baseModel)?.dir;
  if (adapter && base) return { adapter, base };
  return vscode.commands.executeCommand<EngineExports | undefined>(Commands.inferenceExportOnnx, {
    checkpointPath: target.checkpoint,
    runDir: target.runDir,
    baseModel,
  });
}

let running = false;

/** "Evaluate Checkpoint": pick (or take) inputs, run the evaluator in the background, open the Metrics panel. */
export async function evaluateCheckpoint(
  services: ExtensionServices,
  artifacts: ArtifactIndex,
  arg: unknown,
  showMetrics: (dir: string) => Promise<void>,
): Promise<string | undefined> {
  if (!services.requireTrust('Evaluating a checkpoint')) return undefined;
  if (running)
    throw new Error('An evaluation is already running. Wait for it or cancel it from its notification.');
  const options = isOptions(arg) ? arg : undefined;
  const inputs = await chooseInputs(services, artifacts.runs, arg, options);
  if (!inputs) return undefined;
  const { target, baseModel, testFile, config } = inputs;
  const trainData = trainingDataFor(config.train_file, testFile, target.runDir);
  const settings = await chooseSettings(services, options, inputs, trainData !== undefined);
  if (!settings) return undefined;
  const problem = settingsProblem(settings) ?? (settings.rag ? ragProblem(settings.rag) : undefined);
  if (problem) throw new Error(problem);
  const { log } = services;
  const retrieval = await retrievalPlan(services, target.runDir, config, trainData);
  if (settings.rag && !retrieval)
    throw new Error(
      `A RAG evaluation retrieves from the run's training data, and none is known for ${target.runDir}: its config has no train_file and ${path.dirname(testFile)} has no train.jsonl.`,
    );
  if (!retrieval)
    log.info('No training data known for this run (or no workspace folder): no retrieval-only baseline.');

  const exports = settings.engine === 'onnx' ? await engineExports(artifacts, target, baseModel) : undefined;
  if (settings.engine === 'onnx' && !exports) return undefined;
  const python = await trainerPython(services, EVALUATION);
  if (!python) return undefined;
  const evaluationDir = options?.outDir
    ? path.resolve(options.outDir)
    : await createEvaluationFolder(artifacts.evaluationHomeOf(target.runDir));
  await fs.mkdir(evaluationDir, { recursive: true });
  log.info(
    `Evaluating ${target.checkpoint} (base ${baseModel}, ${modeLabel(settings.rag)}) on ${testFile} into ${evaluationDir}`,
  );
  const plan: EvaluationPlan = {
    python,
    env: trainerEnv(services.context.extensionPath),
    runDir: target.runDir,
    evaluationDir,
    checkpoint: target.checkpoint,
    baseModel,
    testFile,
    settings,
    retrieval,
    exports,
  };
  running = true;
  let outcome;
  try {
    outcome = await runWithProgress(log, plan, planStages(plan));
  } finally {
    running = false;
  }
  log.info(`Evaluation ${outcome.status}: ${evaluationDir}${outcome.error ? ` (${outcome.error})` : ''}`);
  await reportOutcome(outcome, evaluationDir, showMetrics);
  return evaluationDir;
}
