import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ArtifactChange, ArtifactIndex } from '../../artifacts/artifactIndex';
import { isWithin } from '../../artifacts/artifactPaths';
import { EXPORT_EXTENSIONS, type ExportFormat } from '../../util/tableText';
import type {
  ComparedEvaluation,
  ComparisonSort,
  ComparisonView,
  RunComparisonRequest,
  RunComparisonState,
} from '../../protocol/runComparison';
import type { WebviewToHost } from '../../protocol/webviewMessages';
import type { ExtensionServices } from '../../vscode/services';
import { WebviewPanelHost } from '../../vscode/webviewHost';
import { ComparedEvaluations } from '../comparedEvaluations';
import { buildComparisonState, DEFAULT_VIEW } from '../comparisonState';
import { exportComparison } from '../comparisonExport';
import { parseComparisonMessage } from '../panelMessages';
import type { RunInfo, RunRegistry } from '../../runs/registry';
import { runDescription } from '../../runs/view/runItems';
import { needsFirst } from '../../util/prerequisite';

const RUNS_KEY = 'medqa.runComparison.runs';
const VIEW_KEY = 'medqa.runComparison.view';

/** What `medqa.runs.exportComparison` accepts (tests pass `outFile` to skip the save dialog). */
export interface ComparisonExportRequest {
  format?: ExportFormat;
  outFile?: string;
  /** Runs to export; default: those the comparison panel shows. */
  runs?: string[];
  allFields?: boolean;
  sort?: ComparisonSort | null;
}

/**
 * One comparison panel over the runs chosen last (kept in workspace state, so a reload shows them again). It
 * follows the artefact index: a chosen run that is still training updates the chart and the table as it logs, and
 * a new evaluation of a chosen run (of ours or imported) shows when it lands.
 */
export class RunComparisonPanel extends WebviewPanelHost<'runComparison'> {
  private pending: NodeJS.Timeout | undefined;
  private readonly subscriptions: { dispose(): void }[];
  private readonly evaluations: ComparedEvaluations;
  private readonly registry: RunRegistry;

  constructor(
    context: vscode.ExtensionContext,
    private readonly artifacts: ArtifactIndex,
    private readonly services: ExtensionServices,
    private readonly openDashboard: (runDir: string) => Promise<unknown>,
    private readonly pickRuns: (preselected: readonly string[]) => Promise<string[] | undefined>,
  ) {
    super(context, 'runComparison', 'Compare Runs');
    this.registry = artifacts.runs;
    this.evaluations = new ComparedEvaluations(
      (runDir) => artifacts.evaluationsOf(runDir),
      (message) => services.log.warn(message),
    );
    this.subscriptions = [
      this.registry.onDidChange((changed) => {
        const shown = new Set(this.runDirs);
        if (changed.length === 0 || changed.some((run) => shown.has(run.dir))) this.schedulePush();
      }),
      artifacts.onDidChange((change) => {
        if (this.showsEvaluationOf(change)) this.schedulePush();
      }),
    ];
  }

  /** Whether a changed evaluation belongs to a shown run (where the index keeps that run's evaluations). */
  private showsEvaluationOf(change: ArtifactChange): boolean {
    const homes = this.runDirs.flatMap((dir) => {
      try {
        return [this.artifacts.evaluationHomeOf(dir)];
      } catch {
        return [];
      }
    });
    return [...change.evaluations.keys()].some((dir) => homes.some((home) => isWithin(home, dir)));
  }

  get runDirs(): string[] {
    return this.context.workspaceState.get<string[]>(RUNS_KEY, []);
  }

  private get view(): ComparisonView {
    return this.context.workspaceState.get<ComparisonView>(VIEW_KEY) ?? DEFAULT_VIEW;
  }

  async compare(runDirs: readonly string[]): Promise<vscode.WebviewPanel> {
    const unique = [...new Set(runDirs.map((dir) => path.resolve(dir)))];
    await this.context.workspaceState.update(RUNS_KEY, unique);
    // An open panel gets the new state from show(); a new one asks for it with `ready`.
    const panel = this.show();
    this.updateTitle();
    return panel;
  }

  protected override attach(panel: vscode.WebviewPanel): void {
    super.attach(panel);
    this.updateTitle();
  }

  private updateTitle(): void {
    if (this.panel) this.panel.title = `Compare ${this.runDirs.length} Runs`;
  }

  private schedulePush(): void {
    if (this.pending || !this.isOpen) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.pushState();
    }, 300);
  }

  protected override validate(message: unknown): WebviewToHost<'runComparison'> | Error {
    return parseComparisonMessage(message);
  }

  protected override rejected(error: Error): void {
    this.services.log.warn(error.message);
  }

  /** The comparison of `runDirs` (default: the panel's runs) with the panel's view. */
  async buildState(runDirs: readonly string[] = this.runDirs): Promise<RunComparisonState> {
    const runs: RunInfo[] = [];
    const missing: string[] = [];
    for (const dir of runDirs) {
      const run = this.registry.get(dir);
      if (run) runs.push(run);
      else missing.push(dir);
    }
    const evaluations = new Map<string, ComparedEvaluation | null>();
    for (const run of runs) evaluations.set(run.dir, await this.evaluations.of(run.dir));
    return buildComparisonState({ runs, missing, evaluations, view: this.view, now: Date.now() });
  }

  protected state(): Promise<RunComparisonState> {
    return this.buildState();
  }

  protected async onMessage(message: RunComparisonRequest): Promise<void> {
    const shown = this.runDirs;
    switch (message.type) {
      case 'setView':
        await this.context.workspaceState.update(VIEW_KEY, message.view);
        await this.pushState();
        return;
      case 'export':
        await this.exportInteractively(message.format, { allFields: message.allFields, sort: message.sort });
        return;
      case 'addRuns': {
        const chosen = await this.pickRuns(shown);
        if (chosen) await this.compare(chosen);
        return;
      }
      case 'removeRun':
        if (shown.includes(message.dir)) await this.compare(shown.filter((dir) => dir !== message.dir));
        return;
      case 'openDashboard':
        if (shown.includes(message.dir)) await this.openDashboard(message.dir);
        return;
    }
  }

  /** Writes the table as CSV or Markdown to `outFile`, or where the save dialog says; returns the file. */
  async exportTable(request: ComparisonExportRequest = {}): Promise<string | undefined> {
    const format = request.format ?? 'csv';
    const runDirs = request.runs?.map((dir) => path.resolve(dir)) ?? this.runDirs;
    if (runDirs.length === 0) throw needsFirst('compareRuns', 'Compare some runs first.');
    let file = request.outFile;
    if (!file) {
      const root = this.services.workspaceRoot() ?? this.registry.directory ?? path.dirname(runDirs[0]);
      const target = await vscode.window.showSaveDialog({
        title: `Export the run comparison as ${format === 'csv' ? 'CSV' : 'Markdown'}`,
        defaultUri: vscode.Uri.file(path.join(root, `run-comparison.${EXPORT_EXTENSIONS[format]}`)),
        filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
      });
      if (!target) return undefined;
      file = target.fsPath;
    }
    const state = await this.buildState(runDirs);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, exportComparison(state, format, request), 'utf8');
    return file;
  }

  private async exportInteractively(
    format: ExportFormat,
    options: { allFields: boolean; sort: ComparisonSort | null },
  ): Promise<void> {
    const file = await this.exportTable({ format, ...options });
    if (!file) return;
    void vscode.window
      .showInformationMessage(`MedQA: run comparison exported to ${file}.`, 'Open')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
      });
  }

  override dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const subscription of this.subscriptions) subscription.dispose();
    super.dispose();
  }
}

/** Run folders from what menus, the palette and tests pass: tree elements, paths, or arrays of either. */
function runDirsOf(...args: unknown[]): string[] {
  const dirs: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string') dirs.push(path.resolve(value));
    else if (value instanceof vscode.Uri) dirs.push(value.fsPath);
    else if (Array.isArray(value)) value.forEach(add);
    else if (value && typeof value === 'object' && typeof (value as { runDir?: unknown }).runDir === 'string')
      dirs.push(path.resolve((value as { runDir: string }).runDir));
  };
  args.forEach(add);
  return [...new Set(dirs)];
}

/**
 * "MedQA: Compare Runs": with two or more runs selected in the Runs view (or passed), compares them at once;
 * with one, asks which others to compare it with; with none, asks for all. Also the export command.
 */
export function registerRunComparison(
  services: ExtensionServices,
  artifacts: ArtifactIndex,
  openDashboard: (runDir: string) => Promise<unknown>,
): RunComparisonPanel {
  const pickRuns = async (preselected: readonly string[]): Promise<string[] | undefined> => {
    const runs = artifacts.runs.list();
    if (runs.length < 2) {
      void vscode.window.showInformationMessage('MedQA: comparing needs at least two training runs.');
      return undefined;
    }
    const chosen = new Set(preselected.map((dir) => path.resolve(dir)));
    const picked = await vscode.window.showQuickPick(
      runs.map((run) => ({
        label: run.name,
        description: runDescription(run),
        detail: run.dir,
        picked: chosen.has(run.dir),
        dir: run.dir,
      })),
      {
        canPickMany: true,
        title: preselected.length === 1 ? `Compare ${path.basename(preselected[0])} with…` : 'Compare runs',
        placeHolder: 'Choose the runs to compare (two or more)',
        matchOnDetail: true,
      },
    );
    if (!picked) return undefined;
    if (picked.length < 2) {
      void vscode.window.showInformationMessage('MedQA: choose at least two runs to compare.');
      return undefined;
    }
    return picked.map((item) => item.dir);
  };
  const panel = new RunComparisonPanel(services.context, artifacts, services, openDashboard, pickRuns);
  services.context.subscriptions.push(panel);

  // From the Runs view VS Code passes (clicked element, all selected elements); tests pass paths.
  services.registerCommand(Commands.runsCompare, async (first?: unknown, selected?: unknown) => {
    const given = runDirsOf(first, selected);
    const dirs = given.length >= 2 ? given : await pickRuns(given);
    if (!dirs) return undefined;
    await panel.compare(dirs);
    return dirs;
  });
  services.registerCommand(Commands.runsExportComparison, (request?: ComparisonExportRequest) =>
    panel.exportTable(request ?? {}),
  );
  return panel;
}
