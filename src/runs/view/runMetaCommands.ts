import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { RunInfo, RunRegistry } from '../registry';
import {
  isEmptyMeta,
  nameProblem,
  parseRunMeta,
  parseTags,
  writeRunMetaFile,
  type RunMeta,
} from '../runMeta';
import { isReadOnlyRun, runLabel } from './runItems';
import { requireRun } from './runPicker';

/** Name and tags of imported runs, by folder: kept in the workspace state, never in their folder. */
const IMPORTED_META_KEY = 'medqa.runs.importedMeta';

export function importedMeta(context: vscode.ExtensionContext, dir: string): RunMeta | undefined {
  return parseRunMeta(context.workspaceState.get<Record<string, unknown>>(IMPORTED_META_KEY, {})[dir]);
}

export async function setImportedMeta(
  context: vscode.ExtensionContext,
  dir: string,
  meta: RunMeta | undefined,
): Promise<void> {
  const all = { ...context.workspaceState.get<Record<string, unknown>>(IMPORTED_META_KEY, {}) };
  if (isEmptyMeta(meta)) delete all[dir];
  else all[dir] = meta;
  await context.workspaceState.update(IMPORTED_META_KEY, all);
}

/** Writes a run's name and tags: in its folder (run-meta file), or for an imported run in the workspace state. */
async function setMeta(
  context: vscode.ExtensionContext,
  registry: RunRegistry,
  run: RunInfo,
  change: Partial<RunMeta>,
): Promise<RunInfo | undefined> {
  const meta: RunMeta = {
    ...(run.displayName ? { displayName: run.displayName } : {}),
    tags: run.tags ?? [],
    ...change,
  };
  if (!meta.displayName) delete meta.displayName;
  if (isReadOnlyRun(run)) await setImportedMeta(context, run.dir, meta);
  else await writeRunMetaFile(run.dir, meta);
  return registry.refreshRun(run.dir);
}

/** Rename and Tag for the items of the Runs view. */
export function registerRunMetaCommands(services: ExtensionServices, registry: RunRegistry): void {
  const { context } = services;
  services.registerCommand(Commands.runsRename, async (arg?: unknown, name?: unknown) => {
    const run = await requireRun(registry, arg);
    if (!run) return undefined;
    const typed =
      typeof name === 'string'
        ? name
        : await vscode.window.showInputBox({
            title: `Rename run ${run.name}`,
            prompt:
              'The name the Runs view shows; the folder keeps its name. Leave empty for the folder name.',
            value: runLabel(run),
            validateInput: nameProblem,
          });
    if (typed === undefined) return undefined;
    const problem = nameProblem(typed);
    if (problem) throw new Error(problem);
    const displayName = typed.trim() === run.name ? '' : typed.trim();
    return setMeta(context, registry, run, { displayName });
  });

  services.registerCommand(Commands.runsTag, async (arg?: unknown, tags?: unknown) => {
    const run = await requireRun(registry, arg);
    if (!run) return undefined;
    // From a menu with several runs selected the second argument is the selection, not tags.
    const typed =
      Array.isArray(tags) && tags.every((t) => typeof t === 'string')
        ? tags.join(' ')
        : typeof tags === 'string'
          ? tags
          : await vscode.window.showInputBox({
              title: `Tags of ${runLabel(run)}`,
              prompt: 'Tags separated by spaces or commas, e.g. baseline lr-sweep. Leave empty for none.',
              value: (run.tags ?? []).join(' '),
              validateInput: (text) => parseTags(text).problem,
            });
    if (typed === undefined) return undefined;
    const parsed = parseTags(typed);
    if (parsed.problem) throw new Error(parsed.problem);
    return setMeta(context, registry, run, { tags: parsed.tags });
  });
}
