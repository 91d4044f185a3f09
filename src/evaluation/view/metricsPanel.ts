import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type {
  EvaluationSide,
  GradeSummary,
  MetricsPanelRequest,
  MetricsPanelState,
  MetricsPanelUiState,
} from '../../protocol/metricsPanel';
import { WebviewPanelHost } from '../../vscode/webviewHost';
import type { ExtensionServices } from '../../vscode/services';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import { loadEvaluation, sideDir } from '../evaluationFolder';
import { exportEvaluation } from '../export';
import type { ExportFormat } from '../../util/tableText';
import type { WebviewToHost } from '../../protocol/webviewMessages';
import { parseMetricsMessage } from '../panelMessages';
import { modeLabel } from '../retrievalSide';

const SHOWN_KEY = 'medqa.evaluation.shownInPanel';

/** Human grades, from the grading feature: the summary shown beside the metrics, and its actions. */
export interface HumanGrades {
  summary(evaluationDir: string): Promise<GradeSummary | null>;
  readonly onDidChange: vscode.Event<void>;
  grade(evaluationDir: string): Promise<unknown>;
  exportGrades(evaluationDir: string, format: ExportFormat): Promise<string | undefined>;
}
const UI_KEY = 'medqa.evaluation.panelUi';

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', markdown: 'md' };

/** Writes the CSV or Markdown export of one evaluation; refuses when nothing in it could be read. */
export async function writeExport(
  evaluationDir: string,
  format: ExportFormat,
  outFile: string,
): Promise<{ file: string; problems: string[] }> {
  const summary = await loadEvaluation(evaluationDir);
  if (summary.overall.length === 0) {
    const why = summary.problems.length > 0 ? `\n${summary.problems.join('\n')}` : ' It has no metrics yet.';
    throw new Error(`Nothing to export from ${evaluationDir}.${why}`);
  }
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  await fs.writeFile(outFile, exportEvaluation(summary, format), 'utf8');
  return { file: outFile, problems: summary.problems };
}

/**
 * The Metrics panel: one evaluation's base vs fine-tuned table, per-qtype table, chart and hygiene warnings.
 * The folder it shows survives a window reload (the app's saved state, and the workspace state as a fallback).
 */
export class MetricsPanel extends WebviewPanelHost<'metrics'> {
  private evaluationDir: string | undefined;
  /** Keeps the folder on screen watched (it may lie outside the runs) while the panel is open. */
  private following: { dispose(): void } | undefined;

  constructor(
    private readonly services: ExtensionServices,
    private readonly openPredictions: (
      evaluationDir: string,
      side: EvaluationSide,
      id?: string,
    ) => Promise<unknown>,
    private readonly grades: HumanGrades,
    private readonly artifacts: ArtifactIndex,
  ) {
    super(services.context, 'metrics', 'MedQA Metrics');
    services.context.subscriptions.push(
      grades.onDidChange(() => void this.pushState()),
      // Results written while the panel is open (an evaluation still running, or re-run) show up by themselves.
      artifacts.onDidChange((change) => {
        const files = this.shown ? change.evaluations.get(path.resolve(this.shown)) : undefined;
        if (files?.some((file) => file.endsWith('.json'))) void this.pushState();
      }),
    );
    const remembered = services.context.workspaceState.get<string>(SHOWN_KEY);
    this.evaluationDir = remembered && existsSync(remembered) ? remembered : undefined;
  }

  /** The evaluation folder on screen, if any. */
  get shown(): string | undefined {
    return this.panel ? this.evaluationDir : undefined;
  }

  /** Opens (or reveals) the panel on `dir`; an open panel pushes the new state itself. */
  showEvaluation(dir: string): void {
    this.setEvaluation(dir);
    this.show();
  }

  private setEvaluation(dir: string): void {
    this.evaluationDir = dir;
    void this.services.context.workspaceState.update(SHOWN_KEY, dir);
    this.watch();
  }

  /** The artefact index watches the folder on screen while the panel is open, wherever the folder lies. */
  private watch(): void {
    this.following?.dispose();
    this.following = this.evaluationDir && this.panel ? this.artifacts.follow(this.evaluationDir) : undefined;
  }

  protected override attach(panel: vscode.WebviewPanel): void {
    super.attach(panel);
    this.watch();
    panel.onDidDispose(() => {
      this.following?.dispose();
      this.following = undefined;
    });
  }

  protected async state(): Promise<MetricsPanelState> {
    // The folder on screen may belong to a run the registry does not list (a copied evaluation).
    const entries = await this.artifacts.evaluations();
    const dir = this.evaluationDir;
    const evaluations = entries.map((e) => ({
      dir: e.dir,
      label: `${e.runName} · ${e.name}${e.record?.settings.rag ? ` · ${modeLabel(e.record.settings.rag)}` : ''}`,
      description: e.record ? path.basename(e.record.checkpoint) : '',
    }));
    if (dir && !evaluations.some((e) => path.resolve(e.dir) === path.resolve(dir))) {
      evaluations.unshift({ dir, label: path.basename(dir), description: '' });
    }
    const shown = dir && existsSync(dir) ? dir : undefined;
    let grades: GradeSummary | null = null;
    try {
      grades = shown ? await this.grades.summary(shown) : null;
    } catch (error) {
      this.services.log.warn(`Grade summary of ${shown}: ${(error as Error).message}`);
    }
    return {
      evaluation: shown ? await loadEvaluation(shown) : null,
      grades,
      evaluations,
      ui: this.services.context.workspaceState.get<MetricsPanelUiState>(UI_KEY) ?? null,
    };
  }

  protected override validate(message: unknown): WebviewToHost<'metrics'> | Error {
    return parseMetricsMessage(message);
  }

  protected override rejected(error: Error): void {
    this.services.log.warn(error.message);
  }

  /** A folder the webview names must be an evaluation the panel lists or shows; it cannot point anywhere else. */
  private async isListed(dir: string): Promise<boolean> {
    const resolved = path.resolve(dir);
    if (this.evaluationDir && path.resolve(this.evaluationDir) === resolved) return true;
    return (await this.artifacts.evaluations()).some((e) => path.resolve(e.dir) === resolved);
  }

  protected async onMessage(message: MetricsPanelRequest): Promise<void> {
    switch (message.type) {
      case 'restore':
        // Only when the host lost track (no workspace state): a webview reloaded after being hidden must not
        // switch back to what it showed before the host moved on to another folder.
        if (
          this.evaluationDir === undefined &&
          existsSync(message.dir) &&
          (await this.isListed(message.dir))
        ) {
          this.setEvaluation(message.dir);
          await this.pushState();
        }
        return;
      case 'selectEvaluation':
        if (!(await this.isListed(message.dir))) return;
        this.setEvaluation(message.dir);
        await this.pushState();
        return;
      case 'export':
        if (this.evaluationDir) await this.exportInteractively(this.evaluationDir, message.format);
        return;
      case 'openPredictions':
        if (this.evaluationDir) await this.openPredictions(this.evaluationDir, message.side);
        return;
      case 'openPrediction':
        if (this.evaluationDir) await this.openPredictions(this.evaluationDir, message.side, message.id);
        return;
      case 'grade':
        if (this.evaluationDir) await this.grades.grade(this.evaluationDir);
        return;
      case 'exportGrades':
        if (this.evaluationDir) await this.grades.exportGrades(this.evaluationDir, message.format);
        return;
      case 'saveUi':
        await this.services.context.workspaceState.update(UI_KEY, message.ui);
        return;
      case 'revealFolder':
        if (this.evaluationDir)
          await vscode.commands.executeCommand(
            'revealFileInOS',
            vscode.Uri.file(sideDir(this.evaluationDir, 'adapter')),
          );
        return;
    }
  }

  async exportInteractively(evaluationDir: string, format: ExportFormat): Promise<string | undefined> {
    const extension = EXPORT_EXTENSIONS[format];
    const target = await vscode.window.showSaveDialog({
      title: `Export metrics as ${format === 'csv' ? 'CSV' : 'Markdown'}`,
      defaultUri: vscode.Uri.file(path.join(evaluationDir, `metrics.${extension}`)),
      filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
    });
    if (!target) return undefined;
    const { file, problems } = await writeExport(evaluationDir, format, target.fsPath);
    const note =
      problems.length > 0 ? ` ${problems.length} problem(s) reading the results are listed in the log.` : '';
    problems.forEach((p) => this.services.log.warn(p));
    void vscode.window
      .showInformationMessage(`MedQA: metrics exported to ${file}.${note}`, 'Open')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
      });
    return file;
  }

  override dispose(): void {
    this.following?.dispose();
    super.dispose();
  }
}
