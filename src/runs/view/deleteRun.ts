import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { RunInfo } from '../registry';
import { isReadOnlyRun, runLabel } from './runItems';
import { setImportedMeta } from './runMetaCommands';
import { optionsOf, requireRun } from './runPicker';
import type { RunsFeature } from './runsFeature';

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

/** Moves the run's folder to the trash; where there is none, deletes it for good if the user (or option) agrees. */
async function deleteFolder(
  services: ExtensionServices,
  run: RunInfo,
  given: Partial<DeleteOptions>,
): Promise<DeleteResult> {
  const label = runLabel(run);
  const uri = vscode.Uri.file(run.dir);
  try {
    await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
    return { dir: run.dir, outcome: 'trash' };
  } catch (error) {
    // A remote or headless host (code-server, SSH, containers) often has no trash to move to.
    const trashError = error instanceof Error ? error.message : String(error);
    services.log.warn(`runs: moving ${run.dir} to the trash failed: ${trashError}`);
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
    return { dir: run.dir, outcome: 'permanent', trashError };
  }
}

/** Delete Run (our runs: to the trash) and Remove from List (imported runs: their folder stays). */
export function registerDeleteRun(services: ExtensionServices, runs: RunsFeature): void {
  const { context, log } = services;
  const { registry } = runs;

  services.registerCommand(
    Commands.runsDelete,
    async (arg?: unknown, options?: unknown): Promise<DeleteResult | undefined> => {
      const given = optionsOf<DeleteOptions>(options);
      const run = await requireRun(registry, arg);
      if (!run) return undefined;
      const label = runLabel(run);
      if (isReadOnlyRun(run)) {
        throw new Error(
          `${label} is an imported Hugging Face run: MedQA Studio never deletes its folder. Use "Remove from List".`,
        );
      }
      // 'pending' is a Slurm job still in the queue; say which of the two it is.
      if (run.status === 'running' || run.status === 'pending') {
        const state = run.status === 'pending' ? 'is queued on Slurm' : 'is training';
        throw new Error(`${label} ${state}. Cancel it before deleting it.`);
      }
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
      const result = await deleteFolder(services, run, given);
      if (result.outcome === 'kept') return result;
      log.info(`runs: deleted ${run.dir} (${result.outcome === 'trash' ? 'to the trash' : 'permanently'})`);
      if (registry.trackedFolders.includes(run.dir)) await runs.untrack(run.dir);
      await registry.refreshAll();
      return result;
    },
  );

  services.registerCommand(Commands.runsRemoveFromList, async (arg?: unknown): Promise<boolean> => {
    const run = await requireRun(registry, arg);
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
}
