import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DashboardRun, RunDashboardRequest, RunDashboardState } from '../../protocol/runDashboard';
import { parseRunYaml } from '../runYaml';
import { WebviewPanelHost } from '../../vscode/webviewHost';
import type { RunInfo, RunRegistry } from '../registry';
import { currentStep, estimateSecondsLeft } from '../runState';
import { measuredTokensPerSecond, trainingModeText } from '../trainingMode';
import { bestCheckpointText, modelName, runDescription } from './runItems';
import type { WebviewToHost } from '../../protocol/webviewMessages';
import { parseDashboardMessage } from '../panelMessages';

const SELECTED_RUN_KEY = 'medqa.runDashboard.run';

export interface DashboardActions {
  openConfig(runDir: string): Promise<void>;
  revealFolder(runDir: string): Promise<void>;
  cancel(runDir: string): Promise<void>;
}

/** One dashboard panel; it shows one run at a time and remembers which one across reloads (workspace state). */
export class RunDashboard extends WebviewPanelHost<'runDashboard'> {
  private pending: NodeJS.Timeout | undefined;
  private readonly subscription: { dispose(): void };

  constructor(
    context: vscode.ExtensionContext,
    private readonly registry: RunRegistry,
    private readonly actions: DashboardActions,
  ) {
    super(context, 'runDashboard', 'MedQA Run');
    this.subscription = registry.onDidChange((changed) => {
      const shown = this.runDir;
      if (changed.length === 0 || changed.some((run) => run.dir === shown)) this.schedulePush();
    });
  }

  get runDir(): string | undefined {
    return this.context.workspaceState.get<string>(SELECTED_RUN_KEY);
  }

  async showRun(runDir: string): Promise<vscode.WebviewPanel> {
    await this.context.workspaceState.update(SELECTED_RUN_KEY, runDir);
    const panel = this.show();
    this.updateTitle();
    await this.pushState();
    return panel;
  }

  protected override attach(panel: vscode.WebviewPanel): void {
    super.attach(panel);
    this.updateTitle();
  }

  private updateTitle(): void {
    const run = this.runDir ? this.registry.get(this.runDir) : undefined;
    if (this.panel) this.panel.title = run ? `Run: ${run.name}` : 'MedQA Run';
  }

  /** Events can arrive many times a second; the chart does not need every one. */
  private schedulePush(): void {
    if (this.pending || !this.isOpen) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.updateTitle();
      void this.pushState();
    }, 300);
  }

  protected async state(): Promise<RunDashboardState> {
    const runs = this.registry.list();
    const selected = (this.runDir && this.registry.get(this.runDir)) || runs[0];
    return {
      run: selected ? await dashboardRun(selected) : null,
      runs: runs.map((r) => ({ dir: r.dir, name: r.name, status: r.status })),
    };
  }

  protected override validate(message: unknown): WebviewToHost<'runDashboard'> | Error {
    return parseDashboardMessage(message);
  }

  protected async onMessage(message: RunDashboardRequest): Promise<void> {
    const runDir = this.runDir ?? this.registry.list()[0]?.dir;
    switch (message.type) {
      case 'selectRun':
        // Only a run the registry lists: the webview cannot make the host read any other folder.
        if (this.registry.get(message.dir)) await this.showRun(message.dir);
        return;
      case 'openConfig':
        if (runDir) await this.actions.openConfig(runDir);
        return;
      case 'revealFolder':
        if (runDir) await this.actions.revealFolder(runDir);
        return;
      case 'openTraceback': {
        const file = runDir && this.registry.get(runDir)?.progress.tracebackPath;
        if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
        return;
      }
      case 'cancel':
        if (runDir) await this.actions.cancel(runDir);
        return;
    }
  }

  override dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.subscription.dispose();
    super.dispose();
  }
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

async function configRows(run: RunInfo): Promise<[string, string][]> {
  let config: Record<string, unknown> | undefined = run.progress.config;
  if (!config) {
    const file = run.files.resolvedConfig ?? run.files.runConfig;
    if (file) {
      try {
        config = parseRunYaml(await fs.readFile(file, 'utf8'));
      } catch (error) {
        // Shown in the config table rather than hidden: the user sees which file to fix.
        return [[path.basename(file), `unreadable: ${(error as Error).message}`]];
      }
    }
  }
  return Object.entries(config ?? {})
    .map(([key, value]) => [key, display(value)] as [string, string])
    .sort(([a], [b]) => a.localeCompare(b));
}

export async function dashboardRun(run: RunInfo): Promise<DashboardRun> {
  const p = run.progress;
  const best = bestCheckpointText(run);
  const preset = p.config?.preset;
  return {
    dir: run.dir,
    name: run.name,
    status: run.status,
    description: runDescription(run),
    model: modelName(run) ?? null,
    preset: typeof preset === 'string' ? preset : null,
    device: p.environment ? `${p.environment.device} · ${trainingModeText(p.environment)}` : null,
    meanTokensPerSecond: measuredTokensPerSecond(p) ?? null,
    startedAt: p.startedAt ?? null,
    endedAt: p.endedAt ?? null,
    step: currentStep(p),
    totalSteps: p.totalSteps,
    etaSeconds: run.status === 'running' ? (estimateSecondsLeft(p) ?? null) : null,
    error: p.error ?? null,
    slurm: run.slurm ? { jobId: run.slurm.jobId, state: run.slurm.slurmState ?? null } : null,
    hasTraceback: Boolean(p.tracebackPath),
    bestCheckpoint: best?.name ?? null,
    bestEvalLoss: best?.evalLoss ?? p.bestEvalLoss ?? null,
    steps: {
      step: p.steps.map((s) => s.step),
      loss: p.steps.map((s) => s.loss),
      learningRate: p.steps.map((s) => s.learningRate),
      tokensPerSecond: p.steps.map((s) => s.tokensPerSecond),
    },
    evals: {
      step: p.evals.map((e) => e.step),
      evalLoss: p.evals.map((e) => e.evalLoss),
      perplexity: p.evals.map((e) => e.perplexity),
    },
    checkpoints: run.checkpoints.map((c) => ({
      name: c.name,
      step: c.step,
      evalLoss: c.evalLoss,
      isBest: c.isBest,
      complete: c.complete,
    })),
    config: await configRows(run),
    notices: p.notices.map((n) => ({ level: n.level, code: n.code, message: n.message })),
  };
}
