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
import { findExportFolders, readExportFolder, type ExportFolder } from '../trainingInputs';
import { DEFAULT_RAG_K as RAG_K_DEFAULT } from '../../evaluation/retrievalSide';
import { pickModel } from './modelPick';

/** The "Export for training…" command of the dataset feature; offered when it is registered. */
export const DATASET_EXPORT_COMMAND = 'medqa.dataset.export';
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
  const model = await pickModel(context, workspaceRoot, installModel, title(2, 'base model'));
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
