import { promises as fs, existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findExportFolders, readExportFolder } from '../../training/trainingInputs';
import { installCommand } from '../../training/modelCatalog';
import { PRESETS, type PresetName } from '../../training/trainConfig';
import { pickModel } from '../../training/view/modelPick';
import type { RunRegistry } from '../../runs/registry';
import type { ExtensionServices } from '../../vscode/services';
import type { EvaluationEngine, EvaluationSettings } from '../evaluationFolder';
import { DEFAULT_SETTINGS, batchSizeForEngine } from '../launcher';
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
  /** 'onnx': generate on the checkpoint's and base model's fp32 ONNX exports (made first where missing). */
  engine?: EvaluationEngine;
  /** The evaluation folder to write (default: `<run>/evaluations/<timestamp>/`). */
  outDir?: string;
}

export function isOptions(arg: unknown): arg is EvaluateOptions {
  return Boolean(
    arg && typeof arg === 'object' && typeof (arg as EvaluateOptions).checkpointPath === 'string',
  );
}

/** What is evaluated on what: the checkpoint, its base model, the test file and the run's config. */
export interface EvaluationInputs {
  target: CheckpointTarget;
  baseModel: string;
  testFile: string;
  config: Record<string, unknown>;
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

/** The run's base model; asked for (local models only offered, not installed) when the run names none. */
async function chooseBaseModel(
  services: ExtensionServices,
  target: CheckpointTarget,
  options: EvaluateOptions | undefined,
): Promise<string> {
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
  return baseModel;
}

/** The test file given, else picked; a file the adapter trained on is used only when the user insists. */
async function chooseTestFile(
  services: ExtensionServices,
  target: CheckpointTarget,
  options: EvaluateOptions | undefined,
  config: Record<string, unknown>,
): Promise<string | undefined> {
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
  if (!options && typeof config.train_file === 'string' && path.resolve(config.train_file) === testFile) {
    const go = await vscode.window.showWarningMessage(
      'This is the file the adapter was trained on: scores on it say nothing about new questions.',
      { modal: true },
      'Evaluate Anyway',
    );
    if (!go) return undefined;
  }
  return testFile;
}

/** The checkpoint (given or picked), its base model and the test file; undefined when the user backs out. */
export async function chooseInputs(
  services: ExtensionServices,
  registry: RunRegistry,
  arg: unknown,
  options: EvaluateOptions | undefined,
): Promise<EvaluationInputs | undefined> {
  const target = checkpointOf(arg) ?? (await pickCheckpoint(registry));
  if (!target) return undefined;
  if (!existsSync(path.join(target.checkpoint, 'adapter_config.json'))) {
    throw new Error(
      `${target.checkpoint} is not an adapter folder (no adapter_config.json). Pick a checkpoint-<step> or adapter folder of a run.`,
    );
  }
  const baseModel = await chooseBaseModel(services, target, options);
  const config = await runConfig(target.runDir);
  const testFile = await chooseTestFile(services, target, options, config);
  return testFile ? { target, baseModel, testFile, config } : undefined;
}

/**
 * The options' settings over the defaults, else the settings list (remembered for next time). Defaults: the last
 * settings, then the run preset's decoding; RAG is chosen each time (a separate kind of evaluation).
 */
export async function chooseSettings(
  services: ExtensionServices,
  options: EvaluateOptions | undefined,
  inputs: EvaluationInputs,
  canRetrieve: boolean,
): Promise<EvaluationSettings | undefined> {
  const remembered = services.context.workspaceState.get<EvaluationSettings>(SETTINGS_KEY);
  const presetDecoding = PRESETS[inputs.config.preset as PresetName]?.decoding;
  const defaults: EvaluationSettings = { ...DEFAULT_SETTINGS, ...remembered, ...presetDecoding, rag: null };
  if (options) {
    return {
      maxNewTokens: options.maxNewTokens ?? defaults.maxNewTokens,
      batchSize:
        options.batchSize ??
        batchSizeForEngine(defaults.batchSize, defaults.engine ?? 'torch', options.engine ?? 'torch'),
      limit: options.limit === undefined ? defaults.limit : options.limit,
      evaluateBase: options.evaluateBase ?? true,
      repetitionPenalty: options.repetitionPenalty ?? defaults.repetitionPenalty,
      // Closed-book records stay as they were before RAG evaluations existed.
      ...(options.ragK ? { rag: { k: options.ragK } } : {}),
      ...(options.engine ? { engine: options.engine } : {}),
    };
  }
  const settings = await pickSettings(defaults, await countLines(inputs.testFile), canRetrieve);
  if (settings) await services.context.workspaceState.update(SETTINGS_KEY, settings);
  return settings;
}
