import * as vscode from 'vscode';
import type { RunInfo, RunRegistry } from '../registry';
import { runLabel, STATUS_LABELS } from './runItems';
import { runDirOf } from './runsFeature';

/** The run a command acts on: the one passed (brought up to date), else the user's pick; throws for an unknown one. */
export async function requireRun(registry: RunRegistry, arg: unknown): Promise<RunInfo | undefined> {
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
}

/** Options tests (and other commands) pass instead of answering the dialogs; menus pass selections, not these. */
export function optionsOf<T extends object>(value: unknown): Partial<T> {
  return value && typeof value === 'object' && !Array.isArray(value) && !('runDir' in value)
    ? (value as Partial<T>)
    : {};
}
