import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { RunInfo, RunRegistry } from '../registry';
import type { DashboardActions, RunDashboard } from './runDashboard';
import { runDirOf } from './runsFeature';
import type { RunNode } from './runNodes';
import { snapshotViews, type RunsViewSnapshot } from './runsSnapshot';
import type { RunsViews } from './runsViews';

/** What the dashboard's buttons and the view commands do with a run folder. */
export function runFolderActions(registry: RunRegistry): DashboardActions {
  return {
    openConfig: async (runDir: string) => {
      const run = registry.get(runDir);
      const file = run?.files.resolvedConfig ?? run?.files.runConfig;
      if (!file) throw new Error(`${runDir} has no config.yaml or run.yaml yet.`);
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    },
    revealFolder: async (runDir: string) => {
      const uri = vscode.Uri.file(runDir);
      if (vscode.workspace.getWorkspaceFolder(uri))
        await vscode.commands.executeCommand('revealInExplorer', uri);
      else await vscode.commands.executeCommand('revealFileInOS', uri);
    },
    cancel: async (runDir: string) => {
      await vscode.commands.executeCommand(Commands.trainingCancel, runDir);
    },
  };
}

/** The run a command is about: the one given, else the dashboard's, else the only one, else the user's pick. */
async function pickRun(
  registry: RunRegistry,
  dashboard: RunDashboard,
  arg: unknown,
  placeHolder: string,
): Promise<string | undefined> {
  const given = runDirOf(arg);
  if (given) return given;
  if (dashboard.isOpen && dashboard.runDir && arg === undefined && registry.get(dashboard.runDir))
    return dashboard.runDir;
  const runs: RunInfo[] = registry.list();
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('MedQA: no matching training runs.');
    return undefined;
  }
  if (runs.length === 1) return runs[0].dir;
  const choice = await vscode.window.showQuickPick(
    runs.map((run) => ({ label: run.name, description: run.status, detail: run.dir, dir: run.dir })),
    { placeHolder },
  );
  return choice?.dir;
}

/** Refresh, Open Dashboard, Reveal in Explorer and Open Config of the Runs view. */
export function registerRunViewCommands(
  services: ExtensionServices,
  registry: RunRegistry,
  views: RunsViews,
  dashboard: RunDashboard,
  actions: DashboardActions,
): void {
  const pick = (arg: unknown, placeHolder: string) => pickRun(registry, dashboard, arg, placeHolder);
  // Returns the views as rendered; `{ rescan: false }` skips the rescan (tests use it to see what the watcher did).
  services.registerCommand(
    Commands.runsRefresh,
    async (options?: { rescan?: boolean }): Promise<RunsViewSnapshot> => {
      if (options?.rescan !== false) await registry.refreshAll();
      return snapshotViews(views.runsTree, views.checkpointsTree);
    },
  );
  services.registerCommand(Commands.runsOpenDashboard, async (arg?: RunNode | string) => {
    const runDir = await pick(arg, 'Run to show');
    if (runDir) await dashboard.showRun(runDir);
    return runDir;
  });
  services.registerCommand(Commands.runsRevealInExplorer, async (arg?: RunNode | string) => {
    const target =
      arg && typeof arg === 'object' && 'path' in arg && typeof arg.path === 'string'
        ? arg.path
        : await pick(arg, 'Run folder to reveal');
    if (target) await actions.revealFolder(target);
  });
  services.registerCommand(Commands.runsOpenConfig, async (arg?: RunNode | string) => {
    const runDir = await pick(arg, 'Run whose config to open');
    if (runDir) await actions.openConfig(runDir);
  });
}
