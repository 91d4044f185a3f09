import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { pythonLookup } from '../../vscode/environmentCommands';
import type { ExtensionServices } from '../../vscode/services';
import { findTrainerPython } from '../pythonEnvironment';

/** Packages `train` imports; without any of them the trainer fails at once. */
export const TRAINING_PACKAGES = ['torch', 'transformers', 'peft', 'accelerate', 'datasets'] as const;

let cached: { key: string; python: string } | undefined;

/**
 * The interpreter that runs the trainer, checked with `medqa_trainer doctor` (once per setting value and session).
 * When none works, says why and offers to set one up; returns undefined then.
 */
export async function trainerPython(services: ExtensionServices): Promise<string | undefined> {
  const lookup = await pythonLookup(services);
  const key = JSON.stringify([lookup.configuredPath, lookup.pythonExtensionPath, lookup.workspaceFolders]);
  if (cached?.key === key) return cached.python;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MedQA: checking the Python environment…' },
    () => findTrainerPython(lookup),
  );
  for (const failure of result.failures) services.log.warn(failure.message);
  let problem: string | undefined;
  if (!result.found) {
    problem = `no Python with the trainer's packages was found. ${result.failures[0]?.message ?? ''}`;
  } else {
    const missing = TRAINING_PACKAGES.filter((name) => !result.found?.report.packages[name]);
    if (missing.length > 0) {
      problem = `Python at ${result.found.report.executable} lacks ${missing.join(', ')}, which training needs.`;
    }
  }
  if (problem || !result.found) {
    // Not awaited: the command returns at once (callers such as tests must not wait for a click).
    void vscode.window
      .showErrorMessage(`MedQA: cannot train: ${problem}`, 'Set Up Python Environment', 'Open Settings')
      .then((choice) => {
        if (choice === 'Set Up Python Environment') void vscode.commands.executeCommand(Commands.setupPython);
        if (choice === 'Open Settings')
          void vscode.commands.executeCommand('workbench.action.openSettings', 'medqa.pythonPath');
      });
    return undefined;
  }
  cached = { key, python: result.found.report.executable || result.found.candidate.path };
  return cached.python;
}
