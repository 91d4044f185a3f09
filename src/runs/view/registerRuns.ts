import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import { runsDirectory as runsDirectoryOf } from '../../vscode/settings';
import { isTrainerAlive } from '../liveness';
import { RunRegistry, type RunInfo } from '../registry';
import { registerImportHfRun } from './importHfRun';
import { importedMeta, registerRunActions } from './runActions';
import { RunDashboard } from './runDashboard';
import {
  CheckpointsTreeProvider,
  RunsTreeProvider,
  runElement,
  snapshotViews,
  type RunElement,
  type RunsViewSnapshot,
} from './runsTree';

const TRACKED_KEY = 'medqa.runs.tracked';
/** Runs whose trainer another program started are re-checked this often: a SIGKILL leaves no file event behind. */
const EXTERNAL_LIVENESS_MS = 5000;

/** What other features (training, evaluation) use from the runs feature. */
export interface RunsFeature {
  readonly registry: RunRegistry;
  /** The Checkpoints view (other features add entries under checkpoints, e.g. ONNX exports). */
  readonly checkpoints: CheckpointsTreeProvider;
  /** The runs directory from `medqa.runsDirectory`, resolved against the workspace folder. */
  runsDirectory(): string | undefined;
  /** A run this window launched: shown as running at once, even before the trainer writes anything. */
  markActive(runDir: string): Promise<void>;
  markInactive(runDir: string): Promise<void>;
  refresh(runDir?: string): Promise<void>;
  openDashboard(runDir: string): Promise<void>;
  reveal(runDir: string): Promise<void>;
  /** Lists a folder outside the runs directory (remembered in the workspace state) and watches it. */
  track(runDir: string): Promise<void>;
  /** Forgets a tracked folder; its files stay. */
  untrack(runDir: string): Promise<void>;
}

/** Accepts what menus, the palette, tests and the dashboard pass: a tree element, a path, a Uri or nothing. */
export function runDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (
    arg &&
    typeof arg === 'object' &&
    'runDir' in arg &&
    typeof (arg as { runDir: unknown }).runDir === 'string'
  ) {
    return (arg as { runDir: string }).runDir;
  }
  return undefined;
}

export function registerRuns(services: ExtensionServices): RunsFeature {
  const { context } = services;
  const active = new Set<string>();
  const runsDirectory = (): string | undefined => runsDirectoryOf(services.workspaceRoot());
  const registry = new RunRegistry(runsDirectory(), {
    activeRuns: () => active,
    externalMeta: (dir) => importedMeta(context, dir),
  });
  for (const dir of context.workspaceState.get<string[]>(TRACKED_KEY, [])) registry.track(dir);

  const runsTree = new RunsTreeProvider(registry);
  const checkpointsTree = new CheckpointsTreeProvider(registry);
  const runsView = vscode.window.createTreeView('medqa.runs', {
    treeDataProvider: runsTree,
    showCollapseAll: true,
    // Several runs can be selected to compare them (medqa.runs.compare).
    canSelectMany: true,
  });
  const checkpointsView = vscode.window.createTreeView('medqa.checkpoints', {
    treeDataProvider: checkpointsTree,
  });
  context.subscriptions.push(runsTree, checkpointsTree, runsView, checkpointsView);

  runsView.onDidChangeSelection((event) => {
    const element = event.selection[0];
    if (element) checkpointsTree.select(element.runDir);
  });
  // The heading and the items come from one scope, updated by the same event (a selection or a registry change).
  const updateCheckpointsMessage = () => {
    checkpointsView.message = checkpointsTree.selection.scope().heading;
  };
  context.subscriptions.push(checkpointsTree.selection.onDidChange(updateCheckpointsMessage));

  const actions = {
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
  const dashboard = new RunDashboard(context, registry, actions);
  context.subscriptions.push(dashboard);

  // Context keys (walkthrough step completion, menus) and the views follow the registry.
  let hadRun: boolean | undefined;
  let hadRunning: boolean | undefined;
  context.subscriptions.push(
    registry.onDidChange(() => {
      const runs = registry.list();
      const hasRun = runs.length > 0;
      const hasRunning = runs.some((r) => r.status === 'running');
      if (hasRun !== hadRun)
        void vscode.commands.executeCommand('setContext', 'medqa.hasRun', (hadRun = hasRun));
      if (hasRunning !== hadRunning) {
        void vscode.commands.executeCommand('setContext', 'medqa.trainingActive', (hadRunning = hasRunning));
      }
      scheduleLivenessCheck(runs);
    }),
  );

  // File watching: every change under a run folder refreshes that run (debounced); anything else rescans.
  const timers = new Map<string, NodeJS.Timeout>();
  const schedule = (key: string, work: () => Promise<unknown>, delay = 150) => {
    if (timers.has(key)) return;
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        work().catch((error: unknown) => services.log.warn(`runs: refresh failed: ${String(error)}`));
      }, delay),
    );
  };
  const onFileEvent = (uri: vscode.Uri) => {
    const runDir = registry.runFolderOf(uri.fsPath);
    if (runDir && registry.get(runDir)) schedule(runDir, () => registry.refreshRun(runDir));
    else schedule('*', () => registry.refreshAll());
  };
  let watchers: vscode.Disposable[] = [];
  let watchedFolders: string[] = [];
  const watch = () => {
    const folders = [runsDirectory(), ...registry.trackedFolders].filter((f): f is string => Boolean(f));
    if (folders.join('\n') === watchedFolders.join('\n')) return;
    watchers.forEach((w) => w.dispose());
    watchedFolders = folders;
    watchers = folders.map((folder) => {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(folder), '**'),
      );
      watcher.onDidCreate(onFileEvent);
      watcher.onDidChange(onFileEvent);
      watcher.onDidDelete(onFileEvent);
      return watcher;
    });
  };
  watch();

  let livenessTimer: NodeJS.Timeout | undefined;
  function scheduleLivenessCheck(runs: readonly RunInfo[]): void {
    const external = runs.filter((r) => r.status === 'running' && !active.has(r.dir));
    if (external.length === 0 || livenessTimer) return;
    livenessTimer = setTimeout(async () => {
      livenessTimer = undefined;
      for (const run of external) {
        if (run.pid === undefined || !(await isTrainerAlive(run.pid))) await registry.refreshRun(run.dir);
      }
      scheduleLivenessCheck(registry.list());
    }, EXTERNAL_LIVENESS_MS);
  }

  context.subscriptions.push(
    { dispose: () => watchers.forEach((w) => w.dispose()) },
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
    { dispose: () => livenessTimer && clearTimeout(livenessTimer) },
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('medqa.runsDirectory')) return;
      registry.setDirectory(runsDirectory());
      watch();
      void registry.refreshAll();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      registry.setDirectory(runsDirectory());
      watch();
      void registry.refreshAll();
    }),
  );

  const pickRun = async (
    arg: unknown,
    placeHolder: string,
    filter: (run: RunInfo) => boolean = () => true,
  ) => {
    const given = runDirOf(arg);
    if (given) return given;
    if (
      dashboard.isOpen &&
      dashboard.runDir &&
      arg === undefined &&
      registry.get(dashboard.runDir) &&
      filter(registry.get(dashboard.runDir) as RunInfo)
    ) {
      return dashboard.runDir;
    }
    const runs = registry.list().filter(filter);
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
  };

  const feature: RunsFeature = {
    registry,
    checkpoints: checkpointsTree,
    runsDirectory,
    async markActive(runDir) {
      active.add(path.resolve(runDir));
      if (!isInside(runsDirectory(), runDir)) {
        registry.track(runDir);
        await context.workspaceState.update(TRACKED_KEY, registry.trackedFolders);
      }
      watch();
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
      registry.track(runDir);
      await context.workspaceState.update(TRACKED_KEY, registry.trackedFolders);
      watch();
      await registry.refreshRun(runDir);
    },
    async untrack(runDir) {
      registry.untrack(runDir);
      await context.workspaceState.update(TRACKED_KEY, registry.trackedFolders);
      watch();
    },
  };
  registerRunActions(services, feature);
  registerImportHfRun(services, feature, (run) =>
    runsView.reveal(runElement(run), { select: true, focus: false }),
  );

  // Returns the views as rendered; `{ rescan: false }` skips the rescan (tests use it to see what the watcher did).
  services.registerCommand(
    Commands.runsRefresh,
    async (options?: { rescan?: boolean }): Promise<RunsViewSnapshot> => {
      if (options?.rescan !== false) await registry.refreshAll();
      return snapshotViews(runsTree, checkpointsTree);
    },
  );
  services.registerCommand(Commands.runsOpenDashboard, async (arg?: RunElement | string) => {
    const runDir = await pickRun(arg, 'Run to show');
    if (runDir) await dashboard.showRun(runDir);
    return runDir;
  });
  services.registerCommand(Commands.runsRevealInExplorer, async (arg?: RunElement | string) => {
    const target =
      arg && typeof arg === 'object' && 'path' in arg && typeof arg.path === 'string'
        ? arg.path
        : await pickRun(arg, 'Run folder to reveal');
    if (target) await actions.revealFolder(target);
  });
  services.registerCommand(Commands.runsOpenConfig, async (arg?: RunElement | string) => {
    const runDir = await pickRun(arg, 'Run whose config to open');
    if (runDir) await actions.openConfig(runDir);
  });
  void registry.refreshAll().then(() => {
    if (registry.list().length === 0)
      void vscode.commands.executeCommand('setContext', 'medqa.hasRun', (hadRun = false));
  });
  return feature;
}

function isInside(parent: string | undefined, child: string): boolean {
  if (!parent) return false;
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return Boolean(relative) && !relative.startsWith('..') && !path.isAbsolute(relative);
}
