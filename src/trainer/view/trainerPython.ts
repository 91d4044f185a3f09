import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { findTrainerPython, type TrainerDoctorReport } from '../pythonEnvironment';
import { pythonLookup } from './pythonLookup';
import type { ExtensionServices } from '../../vscode/services';
import { TRAINING, type TrainerNeeds } from '../needs';

export { EVALUATION, TRAINING, type TrainerNeeds } from '../needs';

let cached: { key: string; python: string; report: TrainerDoctorReport } | undefined;

/**
 * The one Python lookup for every trainer subcommand: the interpreter, checked with `medqa_trainer doctor` (its
 * protocol version included; once per setting value and session) and for the packages `needs` names. When none
 * works, says why and offers to set one up; returns undefined then.
 */
export async function trainerPython(
  services: ExtensionServices,
  needs: TrainerNeeds = TRAINING,
): Promise<string | undefined> {
  const lookup = await pythonLookup(services);
  const key = JSON.stringify([lookup.configuredPath, lookup.pythonExtensionPath, lookup.workspaceFolders]);
  const found = cached?.key === key ? cached.report : undefined;
  if (found) {
    const missing = needs.packages.filter((name) => !found.packages[name]);
    if (missing.length === 0) return cached?.python;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MedQA: checking the Python environment…' },
    () => findTrainerPython(lookup),
  );
  for (const failure of result.failures) services.log.warn(failure.message);
  let problem: string | undefined;
  if (!result.found) {
    problem = `no Python with the trainer's packages was found. ${result.failures[0]?.message ?? ''}`;
  } else {
    const missing = needs.packages.filter((name) => !result.found?.report.packages[name]);
    if (missing.length > 0) {
      problem = `Python at ${result.found.report.executable} lacks ${missing.join(', ')}, which ${needs.action} needs.`;
    }
  }
  if (problem || !result.found) {
    // Not awaited: the command returns at once (callers such as tests must not wait for a click).
    void vscode.window
      .showErrorMessage(
        `MedQA: cannot ${needs.action}: ${problem}`,
        'Set Up Python Environment',
        'Open Settings',
      )
      .then((choice) => {
        if (choice === 'Set Up Python Environment') void vscode.commands.executeCommand(Commands.setupPython);
        if (choice === 'Open Settings')
          void vscode.commands.executeCommand('workbench.action.openSettings', 'medqa.pythonPath');
      });
    return undefined;
  }
  cached = {
    key,
    python: result.found.report.executable || result.found.candidate.path,
    report: result.found.report,
  };
  return cached.python;
}
