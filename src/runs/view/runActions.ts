import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { RunInfo } from '../registry';
import {
  isEmptyMeta,
  nameProblem,
  parseRunMeta,
  parseTags,
  writeRunMetaFile,
  type RunMeta,
} from '../runMeta';
import { runDirOf, type RunsFeature } from './registerRuns';
import { isReadOnlyRun, runLabel, STATUS_LABELS } from './runItems';

/** Name and tags of imported runs, by folder: kept in the workspace state, never in their folder. */
const IMPORTED_META_KEY = 'medqa.runs.importedMeta';

export function importedMeta(context: vscode.ExtensionContext, dir: string): RunMeta | undefined {
  return parseRunMeta(context.workspaceState.get<Record<string, unknown>>(IMPORTED_META_KEY, {})[dir]);
}

async function setImportedMeta(
  context: vscode.ExtensionContext,
  dir: string,
  meta: RunMeta | undefined,
): Promise<void> {
  const all = { ...context.workspaceState.get<Record<string, unknown>>(IMPORTED_META_KEY, {}) };
  if (isEmptyMeta(meta)) delete all[dir];
  else all[dir] = meta;
  await context.workspaceState.update(IMPORTED_META_KEY, all);
}

/** Options tests (and other commands) pass instead of answering the dialogs; menus pass selections, not these. */
function optionsOf<T extends object>(value: unknown): Partial<T> {
  return value && typeof value === 'object' && !Array.isArray(value) && !('runDir' in value)
    ? (value as Partial<T>)
    : {};
}

export interface DeleteOptions {
  /** Skip the first confirmation (true) or refuse (false). */
  confirmed: boolean;
  /** When the trash is unavailable: delete permanently (true) or keep the folder (false) without asking. */
  deletePermanently: boolean;
}

export interface DeleteResult {
  dir: string;
  /** `trash`: moved to the OS trash; `permanent`: deleted after the trash failed; `kept`: nothing deleted. */
  outcome: 'trash' | 'permanent' | 'kept';
  /** Why the trash failed, when it did. */
  trashError?: string;
}

/** The run config a diff shows: the trainer's resolved config.yaml, else the run.yaml we wrote. */
function configFileOf(run: RunInfo): string | undefined {
  return run.files.resolvedConfig ?? run.files.runConfig;
}

/** Rename, Tag, Delete, Remove from List and Compare Config for the items of the Runs view. */
export function registerRunActions(services: ExtensionServices, runs: RunsFeature): void {
  const { context, log } = services;
  const { registry } = runs;

  const requireRun = async (arg: unknown): Promise<RunInfo | undefined> => {
    const given = runDirOf(arg);
    if (given) {
      const run = (await registry.refreshRun(given)) ?? registry.get(given);
      if (!run) throw new Error(`${given} is not a run in the Runs view.`);
      return run;
    }
    const all = registry.list();
    if (all.length === 0) {
      void vscode.window.showInformationMessage('MedQA: there are no runs yet.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      all.map((run) => ({
        label: runLabel(run),
        description: STATUS_LABELS[run.status],
        detail: run.dir,
        run,
      })),
      { placeHolder: 'Which run?' },
    );
    return picked?.run;
  };

  const setMeta = async (run: RunInfo, change: Partial<RunMeta>): Promise<RunInfo | undefined> => {
    const meta: RunMeta = {
      ...(run.displayName ? { displayName: run.displayName } : {}),
      tags: run.tags ?? [],
      ...change,
    };
    if (!meta.displayName) delete meta.displayName;
    if (isReadOnlyRun(run)) await setImportedMeta(context, run.dir, meta);
    else await writeRunMetaFile(run.dir, meta);
    return registry.refreshRun(run.dir);
  };

  services.registerCommand(Commands.runsRename, async (arg?: unknown, name?: unknown) => {
    const run = await requireRun(arg);
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
    return setMeta(run, { displayName });
  });

  services.registerCommand(Commands.runsTag, async (arg?: unknown, tags?: unknown) => {
    const run = await requireRun(arg);
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
    return setMeta(run, { tags: parsed.tags });
  });

  services.registerCommand(
    Commands.runsDelete,
    async (arg?: unknown, options?: unknown): Promise<DeleteResult | undefined> => {
      const given = optionsOf<DeleteOptions>(options);
      const run = await requireRun(arg);
      if (!run) return undefined;
      const label = runLabel(run);
      if (isReadOnlyRun(run)) {
        throw new Error(
          `${label} is an imported Hugging Face run: MedQA Studio never deletes its folder. Use "Remove from List".`,
        );
      }
      if (run.status === 'running') throw new Error(`${label} is training. Cancel it before deleting it.`);
      const confirmed =
        given.confirmed ??
        (await vscode.window.showWarningMessage(
          `Delete the run "${label}"?`,
          {
            modal: true,
            detail: `Its folder moves to the trash, with its ${run.checkpoints.length} checkpoint(s), events and evaluations:\n${run.dir}`,
          },
          'Move to Trash',
        )) === 'Move to Trash';
      if (!confirmed) return { dir: run.dir, outcome: 'kept' };
      const uri = vscode.Uri.file(run.dir);
      let result: DeleteResult;
      try {
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
        result = { dir: run.dir, outcome: 'trash' };
      } catch (error) {
        // A remote or headless host (code-server, SSH, containers) often has no trash to move to.
        const trashError = error instanceof Error ? error.message : String(error);
        log.warn(`runs: moving ${run.dir} to the trash failed: ${trashError}`);
        const permanent =
          given.deletePermanently ??
          (await vscode.window.showWarningMessage(
            `The run "${label}" could not be moved to the trash. Delete it permanently? This cannot be undone.`,
            { modal: true, detail: `${trashError}\n\n${run.dir}` },
            'Delete Permanently',
          )) === 'Delete Permanently';
        if (!permanent) {
          void vscode.window.showInformationMessage(`MedQA: kept ${label}; nothing was deleted.`);
          return { dir: run.dir, outcome: 'kept', trashError };
        }
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
        result = { dir: run.dir, outcome: 'permanent', trashError };
      }
      log.info(`runs: deleted ${run.dir} (${result.outcome === 'trash' ? 'to the trash' : 'permanently'})`);
      if (registry.trackedFolders.includes(run.dir)) await runs.untrack(run.dir);
      await registry.refreshAll();
      return result;
    },
  );

  services.registerCommand(Commands.runsRemoveFromList, async (arg?: unknown): Promise<boolean> => {
    const run = await requireRun(arg);
    if (!run) return false;
    if (!isReadOnlyRun(run))
      throw new Error(`${runLabel(run)} is a MedQA Studio run: use "Delete Run…" to remove it.`);
    if (registry.isInRunsDirectory(run.dir)) {
      throw new Error(
        `${runLabel(run)} lies in the runs directory, so it is always listed. Move the folder elsewhere to remove it.`,
      );
    }
    await runs.untrack(run.dir);
    await setImportedMeta(context, run.dir, undefined);
    log.info(`runs: removed the imported run ${run.dir} from the list (its folder is untouched)`);
    return true;
  });

  services.registerCommand(Commands.runsCompareConfig, async (arg?: unknown, other?: unknown) => {
    const run = await requireRun(arg);
    if (!run) return undefined;
    const file = configFileOf(run);
    if (!file) {
      throw new Error(
        isReadOnlyRun(run)
          ? `${runLabel(run)} is an imported Hugging Face run: its settings are in training_args.bin, not in a config.yaml.`
          : `${runLabel(run)} has no config.yaml or run.yaml yet.`,
      );
    }
    const candidates = registry.list().filter((r) => r.dir !== run.dir && configFileOf(r));
    let target: RunInfo | undefined;
    const otherDir = runDirOf(other);
    if (otherDir) {
      target = registry.get(otherDir);
      if (!target || !configFileOf(target)) throw new Error(`${otherDir} is not a run with a config.`);
    } else {
      if (candidates.length === 0) throw new Error('No other run with a config.yaml to compare with.');
      target = (
        await vscode.window.showQuickPick(
          candidates.map((r) => ({
            label: runLabel(r),
            description: [STATUS_LABELS[r.status], ...(r.tags ?? []).map((t) => `#${t}`)].join(' '),
            detail: r.dir,
            run: r,
          })),
          { placeHolder: `Compare the config of ${runLabel(run)} with…`, matchOnDetail: true },
        )
      )?.run;
    }
    if (!target) return undefined;
    const title = `${runLabel(run)} ↔ ${runLabel(target)} (run config)`;
    await vscode.commands.executeCommand(
      'vscode.diff',
      vscode.Uri.file(file),
      vscode.Uri.file(configFileOf(target) as string),
      title,
      { preview: false } satisfies vscode.TextDocumentShowOptions,
    );
    // A run's config is a record of what ran: keep the diff from editing it by accident.
    await vscode.commands
      .executeCommand('workbench.action.files.setActiveEditorReadonlyInSession')
      .then(undefined, () => undefined);
    return title;
  });
}
