import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import { hfRunProblem } from '../hfRun';
import type { RunInfo } from '../registry';
import type { RunsFeature } from './runsFeature';
import { runLabel } from './runItems';

/**
 * "Import Hugging Face Run…": a Trainer/SFTTrainer output folder joins the Runs view as a read-only run. Nothing
 * is copied and nothing is written into the folder: the registry tracks its path (in the workspace state) and
 * re-reads its trainer_state.json when it changes.
 */
export function registerImportHfRun(
  services: ExtensionServices,
  runs: RunsFeature,
  reveal: (run: RunInfo) => Thenable<void>,
): void {
  services.registerCommand(
    Commands.runsImportHuggingFace,
    // Returns the imported run as the registry holds it (tests read its curves and checkpoints from it).
    async (arg?: string | vscode.Uri): Promise<RunInfo | undefined> => {
      let dir = typeof arg === 'string' ? arg : arg instanceof vscode.Uri ? arg.fsPath : undefined;
      if (!dir) {
        const picked = await vscode.window.showOpenDialog({
          title:
            'Import Hugging Face Run: the Trainer output folder (with trainer_state.json, checkpoint-*/)',
          openLabel: 'Import Run',
          canSelectFiles: false,
          canSelectFolders: true,
          canSelectMany: false,
          defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        });
        dir = picked?.[0]?.fsPath;
      }
      if (!dir) return undefined;
      dir = path.resolve(services.workspaceRoot() ?? '/', dir);
      const problem = await hfRunProblem(dir);
      if (problem) throw new Error(problem);
      const known = runs.registry.get(dir);
      if (known) {
        void vscode.window.showInformationMessage(`MedQA: ${runLabel(known)} is already in the Runs view.`);
        await reveal(known);
        return known;
      }
      await runs.track(dir);
      const run = runs.registry.get(dir);
      if (!run) throw new Error(`${dir} could not be read as a run.`);
      services.log.info(
        `runs: imported the Hugging Face run ${dir} (${run.progress.steps.length} logged steps, ` +
          `${run.progress.evals.length} evaluations, ${run.checkpoints.length} checkpoints; read-only)`,
      );
      const evaluable = run.checkpoints.filter((c) => c.complete).length;
      const diverged = run.progress.notices.find((n) => n.code === 'non_finite_loss');
      void (diverged ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(
        `MedQA: imported ${run.name} (read-only, nothing copied): ${run.progress.steps.length} logged steps, ` +
          `${run.progress.evals.length} evaluations, ${run.checkpoints.length} checkpoints` +
          (run.checkpoints.length && evaluable < run.checkpoints.length
            ? ` (${run.checkpoints.length - evaluable} without adapter weights, not evaluable)`
            : '') +
          '.' +
          (diverged ? ` Note: ${diverged.message}.` : ''),
      );
      await reveal(run);
      return run;
    },
  );
}
