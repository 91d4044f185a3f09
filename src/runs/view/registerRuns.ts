import * as path from 'node:path';
import * as vscode from 'vscode';
import { ArtifactIndex } from '../../artifacts/artifactIndex';
import { ArtifactWatcher } from '../../artifacts/view/artifactWatcher';
import type { ExtensionServices } from '../../vscode/services';
import { runsDirectory as runsDirectoryOf } from '../../vscode/settings';
import { SlurmJobWatcher } from '../../slurm/jobWatcher';
import { RunRegistry } from '../registry';
import { registerImportHfRun } from './importHfRun';
import { registerRunActions } from './runActions';
import { importedMeta } from './runMetaCommands';
import { RunDashboard } from './runDashboard';
import { isInside, type RunsFeature } from './runsFeature';
import { createRunsViews } from './runsViews';
import { followRunStates } from './runStates';
import { followSlurmJobs } from './slurmPolling';
import { registerRunViewCommands, runFolderActions } from './viewCommands';

const TRACKED_KEY = 'medqa.runs.tracked';

/** The registry (with the folders tracked outside the runs directory) and the watcher of its runs' Slurm jobs. */
function createRegistry(
  context: vscode.ExtensionContext,
  runsDirectory: string | undefined,
  active: Set<string>,
) {
  const slurmJobs = new SlurmJobWatcher();
  const registry = new RunRegistry(runsDirectory, {
    activeRuns: () => active,
    externalMeta: (dir) => importedMeta(context, dir),
    slurmStates: slurmJobs.stateOf,
  });
  for (const dir of context.workspaceState.get<string[]>(TRACKED_KEY, [])) registry.track(dir);
  return { registry, slurmJobs };
}

/**
 * Assembles the runs feature: the registry and the artefact index with its one watcher, the Runs and Checkpoints
 * views, the dashboard, and the command modules. Returns what other features use (runsFeature.ts).
 */
export function registerRuns(services: ExtensionServices): RunsFeature {
  const { context } = services;
  const active = new Set<string>();
  const runsDirectory = (): string | undefined => runsDirectoryOf(services.workspaceRoot());
  const { registry, slurmJobs } = createRegistry(context, runsDirectory(), active);
  const artifacts = new ArtifactIndex(registry, () => services.workspaceRoot());
  const watcher = new ArtifactWatcher(artifacts, services.log);
  context.subscriptions.push(watcher);

  const views = createRunsViews(context, registry);
  views.checkpointsTree.setExports(artifacts.exports);
  void artifacts.exports.refresh();
  const actions = runFolderActions(registry);
  const dashboard = new RunDashboard(context, registry, actions);
  context.subscriptions.push(dashboard);
  followRunStates(context, registry, active);
  followSlurmJobs(context, registry, slurmJobs, services.log);

  const folderChanged = () => {
    registry.setDirectory(runsDirectory());
    watcher.update();
    void registry.refreshAll();
  };
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('medqa.runsDirectory')) folderChanged();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(folderChanged),
  );
  const remember = async (runDir: string) => {
    registry.track(runDir);
    await context.workspaceState.update(TRACKED_KEY, registry.trackedFolders);
    watcher.update();
  };

  const feature: RunsFeature = {
    registry,
    artifacts,
    runsDirectory,
    async markActive(runDir) {
      active.add(path.resolve(runDir));
      if (!isInside(runsDirectory(), runDir)) await remember(runDir);
      await registry.refreshRun(runDir);
    },
    async markInactive(runDir) {
      active.delete(path.resolve(runDir));
      await registry.refreshRun(runDir);
    },
    async refresh(runDir) {
      if (runDir) await registry.refreshRun(runDir);
      else await registry.refreshAll();
    },
    async openDashboard(runDir) {
      await dashboard.showRun(runDir);
    },
    reveal: actions.revealFolder,
    async track(runDir) {
      await remember(runDir);
      await registry.refreshRun(runDir);
    },
    async untrack(runDir) {
      registry.untrack(runDir);
      await context.workspaceState.update(TRACKED_KEY, registry.trackedFolders);
      watcher.update();
    },
  };
  registerRunViewCommands(services, registry, views, dashboard, actions);
  registerRunActions(services, feature);
  registerImportHfRun(services, feature, (run) =>
    views.runsView.reveal(views.runsTree.nodeOf(run), { select: true, focus: false }),
  );
  void registry
    .refreshAll()
    .catch((error: unknown) => services.log.warn(`runs: scan failed: ${String(error)}`));
  return feature;
}
