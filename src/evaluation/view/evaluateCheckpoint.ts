import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findExportFolders, readExportFolder } from '../../training/trainingInputs';
import { installCommand } from '../../training/modelCatalog';
import { PRESETS, type PresetName } from '../../training/trainConfig';
import { trainerEnv } from '../../training/pythonEnvironment';
import { EVALUATION, trainerPython } from '../../vscode/trainerPython';
import { pickModel } from '../../training/view/trainWizard';
import type { RunRegistry } from '../../runs/registry';
import type { ExtensionServices } from '../../vscode/services';
import {
  createEvaluationFolder,
  evaluationHome,
  readEvaluationRecord,
  type EvaluationSettings,
} from '../evaluationFolder';
import {
  leftText,
  planStages,
  runEvaluation,
  secondsLeft,
  type EvaluationPlan,
  type EvaluationStage,
} from '../evaluationJob';
import {
  autoIndexDir,
  fileHash,
  isIndexReady,
  modeLabel,
  ragProblem,
  trainingDataFor,
} from '../retrievalSide';
import { DEFAULT_SETTINGS, settingsProblem } from '../launcher';
import { pickSettings } from './evaluationSettingsPick';
import {
  baseModelOf,
  checkpointOf,
  pickCheckpoint,
  runConfig,
  type CheckpointTarget,
} from './evaluationTargets';

const SETTINGS_KEY = 'medqa.evaluation.lastSettings';

/** What tests (and other features) may pass instead of answering the pickers. */
export interface EvaluateOptions {
  checkpointPath: string;
  baseModel?: string;
  testFile?: string;
  maxNewTokens?: number;
  batchSize?: number;
  limit?: number | null;
  evaluateBase?: boolean;
  repetitionPenalty?: number;
  /** Generate with the top-k retrieved training sources (a "RAG k=N" evaluation); default closed-book. */
  ragK?: number | null;
  /** The evaluation folder to write (default: `<run>/evaluations/<timestamp>/`). */
  outDir?: string;
}

function isOptions(arg: unknown): arg is EvaluateOptions {
  return Boolean(
    arg && typeof arg === 'object' && typeof (arg as EvaluateOptions).checkpointPath === 'string',
  );
}

async function countLines(file: string): Promise<number | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.trim()).length;
  } catch {
    return undefined;
  }
}

/** Test data: the exports under `.medqa/exports/` (the one this run trained on first), or any JSONL file. */
async function pickTestFile(
  services: ExtensionServices,
  target: CheckpointTarget,
): Promise<string | undefined> {
  const config = await runConfig(target.runDir);
  const trainedOn =
    typeof config.dataset_manifest === 'string' ? path.dirname(config.dataset_manifest) : undefined;
  const root = services.workspaceRoot();
  const exports = root ? await findExportFolders(root) : [];
  if (trainedOn && !exports.some((e) => path.resolve(e.dir) === path.resolve(trainedOn))) {
    const own = await readExportFolder(trainedOn).catch(() => undefined);
    if (own) exports.unshift(own);
  }
  type Item = vscode.QuickPickItem & { file?: string; browse?: boolean };
  const items: Item[] = exports
    .filter((e) => e.testFile)
    .map((e) => ({
      label: `${trainedOn && path.resolve(e.dir) === path.resolve(trainedOn) ? '$(star-full) ' : ''}${path.basename(e.dir)}`,
      description: [
        e.counts.test !== undefined ? `${e.counts.test} test examples` : '',
        trainedOn && path.resolve(e.dir) === path.resolve(trainedOn) ? 'the export this run trained on' : '',
        e.createdAt ? new Date(e.createdAt).toLocaleString() : '',
      ]
        .filter(Boolean)
        .join(' · '),
      detail: e.testFile,
      file: e.testFile,
    }))
    .sort((a, b) => Number(b.label.startsWith('$(star')) - Number(a.label.startsWith('$(star')));
  items.push({
    label: '$(folder-opened) Browse…',
    description: 'a test.jsonl in the chat format of a dataset export',
    browse: true,
  });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Evaluate on which test split?',
    placeHolder:
      items.length > 1
        ? 'Exports in .medqa/exports/'
        : 'No dataset exports found in .medqa/exports/; browse for a test.jsonl',
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  if (!picked.browse) return picked.file;
  const chosen = await vscode.window.showOpenDialog({
    title: 'Test split (JSONL with chat messages)',
    canSelectMany: false,
    filters: { 'JSON Lines': ['jsonl'] },
    defaultUri: root ? vscode.Uri.file(path.join(root, '.medqa', 'exports')) : undefined,
  });
  return chosen?.[0]?.fsPath;
}

function stageText(stage: EvaluationStage): string {
  if (stage.kind === 'index') return 'indexing the training data for retrieval';
  if (stage.kind === 'baseline') return 'retrieval-only baseline';
  if (stage.kind === 'compare')
    return stage.against === 'base'
      ? 'comparing base and fine-tuned'
      : 'comparing fine-tuned and retrieval-only';
  return stage.side === 'adapter' ? 'fine-tuned model answering' : 'base model answering';
}

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

let running = false;

/** "Evaluate Checkpoint": pick (or take) inputs, run the evaluator in the background, open the Metrics panel. */
export async function evaluateCheckpoint(
  services: ExtensionServices,
  registry: RunRegistry,
  arg: unknown,
  showMetrics: (dir: string) => Promise<void>,
): Promise<string | undefined> {
  if (!services.requireTrust('Evaluating a checkpoint')) return undefined;
  if (running)
    throw new Error('An evaluation is already running. Wait for it or cancel it from its notification.');
  const options = isOptions(arg) ? arg : undefined;
  const target = checkpointOf(arg) ?? (await pickCheckpoint(registry));
  if (!target) return undefined;
  if (!existsSync(path.join(target.checkpoint, 'adapter_config.json'))) {
    throw new Error(
      `${target.checkpoint} is not an adapter folder (no adapter_config.json). Pick a checkpoint-<step> or adapter folder of a run.`,
    );
  }
  let baseModel = options?.baseModel ?? (await baseModelOf(target));
  if (!baseModel && !options) {
    baseModel = await pickModel(
      services.context,
      services.workspaceRoot(),
      async (name) => {
        void vscode.window.showInformationMessage(
          `MedQA: ${name} is not installed. Install it from Train adapter, or run: ${installCommand(name)}`,
        );
        return false;
      },
      `Base model of ${path.basename(target.checkpoint)} (its run does not name one)`,
    );
  }
  if (!baseModel)
    throw new Error(
      `No base model known for ${target.checkpoint}: its run has no config.yaml with model_name_or_path.`,
    );

  const testFile = options?.testFile
    ? path.resolve(options.testFile)
    : options
      ? undefined
      : await pickTestFile(services, target);
  if (!testFile) {
    if (options) throw new Error('Pass testFile (a test.jsonl of a dataset export).');
    return undefined;
  }
  if (!existsSync(testFile)) throw new Error(`The test file ${testFile} does not exist.`);
  const config = await runConfig(target.runDir);
  if (!options && typeof config.train_file === 'string' && path.resolve(config.train_file) === testFile) {
    const go = await vscode.window.showWarningMessage(
      'This is the file the adapter was trained on: scores on it say nothing about new questions.',
      { modal: true },
      'Evaluate Anyway',
    );
    if (!go) return undefined;
  }

  const trainData = trainingDataFor(config.train_file, testFile, target.runDir);
  const remembered = services.context.workspaceState.get<EvaluationSettings>(SETTINGS_KEY);
  const presetDecoding = PRESETS[config.preset as PresetName]?.decoding;
  // RAG is chosen each time (a separate kind of evaluation), not carried over from the last one.
  const defaults: EvaluationSettings = { ...DEFAULT_SETTINGS, ...remembered, ...presetDecoding, rag: null };
  let settings: EvaluationSettings | undefined;
  if (options) {
    settings = {
      maxNewTokens: options.maxNewTokens ?? defaults.maxNewTokens,
      batchSize: options.batchSize ?? defaults.batchSize,
      limit: options.limit === undefined ? defaults.limit : options.limit,
      evaluateBase: options.evaluateBase ?? true,
      repetitionPenalty: options.repetitionPenalty ?? defaults.repetitionPenalty,
      // Closed-book records stay as they were before RAG evaluations existed.
      ...(options.ragK ? { rag: { k: options.ragK } } : {}),
    };
  } else {
    settings = await pickSettings(defaults, await countLines(testFile), trainData !== undefined);
    if (!settings) return undefined;
    await services.context.workspaceState.update(SETTINGS_KEY, settings);
  }
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

  const python = await trainerPython(services, EVALUATION);
  if (!python) return undefined;
  const evaluationDir = options?.outDir
    ? path.resolve(options.outDir)
    : await createEvaluationFolder(
        evaluationHome(registry.get(target.runDir) ?? { dir: target.runDir }, services.workspaceRoot()),
      );
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
  };
  const stages = planStages(plan);

  running = true;
  let outcome;
  try {
    outcome = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MedQA: evaluating ${path.basename(target.checkpoint)}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => {
          log.info(
            'Evaluation cancelled by the user: stopping after the current batch, keeping finished answers',
          );
          abort.abort();
        });
        let current = 0;
        let reported = 0;
        let stageStarted = Date.now();
        const advance = (fraction: number, message: string) => {
          const total = ((current + fraction) / stages.length) * 100;
          progress.report({ message, increment: Math.max(0, total - reported) });
          reported = Math.max(reported, total);
        };
        return runEvaluation(plan, {
          signal: abort.signal,
          onStage: (stage, index) => {
            current = index;
            stageStarted = Date.now();
            advance(0, `${stageText(stage)}…`);
          },
          onProgress: (side, done, total) => {
            // Timed from the evaluator's start of generation, so loading the model does not count as answering.
            if (done === 0) stageStarted = Date.now();
            const laterGenerations = stages.slice(current + 1).filter((s) => s.kind === 'evaluate').length;
            const left = secondsLeft({ elapsedMs: Date.now() - stageStarted, done, total }, laterGenerations);
            advance(
              total ? done / total : 0,
              `${side === 'adapter' ? 'fine-tuned' : 'base'} model: ${done}/${total} answers` +
                (left === undefined ? '' : ` · ${leftText(left)} (measured)`),
            );
          },
          onOutput: (line, stream) =>
            stream === 'stderr' ? log.warn(`[evaluate] ${line}`) : log.info(`[evaluate] ${line}`),
        });
      },
    );
  } finally {
    running = false;
  }
  log.info(`Evaluation ${outcome.status}: ${evaluationDir}${outcome.error ? ` (${outcome.error})` : ''}`);
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
  return evaluationDir;
}
