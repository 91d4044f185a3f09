/**
 * The dataset panel's host side: assembles the full state (counts, split, token statistics, duplicate groups, the
 * import report) from the session and answers the app's requests. Token statistics run in the dataset worker and
 * are cached per data/curation/tokenizer/max_length; the panel shows "computing" until they arrive.
 */
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type {
  DatasetPanelRequest,
  DatasetPanelState,
  DatasetTab,
  DuplicateGroupRow,
  TokenPanelState,
} from '../../protocol/datasetPanel';
import { WebviewPanelHost } from '../../vscode/webviewHost';
import { sourceHash } from '../hash';
import { computeStats } from '../stats';
import { openPair, openPairsSideBySide } from './pairDocuments';
import type { DatasetSession } from './session';
import { resolveTokenizer } from './tokenizerLocation';
import { CancelledError, runInWorker } from './workerClient';
import { setting, updateSetting } from '../../vscode/settings';
import type { WebviewToHost } from '../../protocol/webviewMessages';
import { parseDatasetMessage } from '../panelMessages';
import { countProblems } from '../readers/problemLog';

const MAX_PROBLEM_ROWS = 500;
const MAX_GROUP_ROWS = 200;

export class DatasetPanel extends WebviewPanelHost<'dataset'> {
  private pendingTab: DatasetTab | undefined;
  private pushTimer: NodeJS.Timeout | undefined;
  private tokens: { key: string; state: TokenPanelState; abort?: AbortController } | undefined;
  private sourceHashCache: { version: number; hash: string } | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    private readonly session: DatasetSession,
  ) {
    super(context, 'dataset', 'MedQA Dataset');
    const onChange = session.onDidChange(() => this.schedulePush());
    this.subscriptions.push(
      new vscode.Disposable(() => onChange.dispose()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (
          ['medqa.tokenizerPath', 'medqa.maxLength', 'medqa.systemPrompt'].some((key) =>
            event.affectsConfiguration(key),
          )
        ) {
          this.schedulePush();
        }
      }),
    );
  }

  /** Opens the panel on one tab (e.g. the import report). */
  showTab(tab: DatasetTab): vscode.WebviewPanel {
    this.pendingTab = tab;
    return this.show();
  }

  override async pushState(): Promise<void> {
    await super.pushState();
    if (this.pendingTab && this.panel) {
      const tab = this.pendingTab;
      this.pendingTab = undefined;
      await this.post({ type: 'showTab', tab });
    }
  }

  private schedulePush(): void {
    if (!this.isOpen || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      void this.pushState();
    }, 150);
  }

  protected async state(): Promise<DatasetPanelState> {
    const session = this.session;
    const curated = session.curatedPairs();
    const stats = computeStats(curated, session.problems);
    const rows = (record: Record<string, { pairs: number; answered: number }>) =>
      Object.entries(record).map(([name, row]) => ({ name, pairs: row.pairs, answered: row.answered }));
    return {
      status: session.status,
      error: session.loadError ?? null,
      totals: {
        pairs: stats.pairs,
        answered: stats.answered,
        unanswered: stats.unanswered,
        excluded: stats.excluded ?? 0,
        flagged: stats.flagged ?? 0,
        edited: stats.edited ?? 0,
        files: session.sources.reduce((sum, source) => sum + source.filesRead, 0),
        sources: session.sources.map((source) => vscode.workspace.asRelativePath(source.root)),
      },
      byCollection: rows(stats.byCollection),
      byQtype: rows(stats.byQtype),
      split: this.splitState(),
      tokens: this.tokenState(curated),
      duplicates: this.duplicateState(),
      problems: {
        total: countProblems(session.problems),
        rows: session.problems.slice(0, MAX_PROBLEM_ROWS).map((problem, index) => ({
          index,
          file: problem.path ? vscode.workspace.asRelativePath(problem.path) : problem.file,
          ...(problem.line !== undefined ? { line: problem.line } : {}),
          kind: problem.kind,
          message: problem.message,
          openable: problem.path !== undefined && problem.file !== '.',
        })),
      },
    };
  }

  private splitState(): DatasetPanelState['split'] {
    const split = this.session.split;
    if (!split) return null;
    if (this.sourceHashCache?.version !== this.session.version) {
      this.sourceHashCache = { version: this.session.version, hash: sourceHash(this.session.pairs) };
    }
    const counts = split.counts;
    return {
      seed: split.seed,
      ratios: split.ratios,
      counts: (['train', 'validation', 'test', 'excluded', 'unanswered'] as const).map((name) => ({
        name,
        pairs: counts[name],
      })),
      stale: split.sourceHash !== this.sourceHashCache.hash,
    };
  }

  private duplicateState(): DatasetPanelState['duplicates'] {
    const scan = this.session.duplicates;
    if (!scan) return null;
    const groups: DuplicateGroupRow[] = [
      ...scan.questions.map((g) => ({
        kind: 'question' as const,
        match: g.kind,
        similarity: g.similarity,
        ids: g.ids,
        sample: g.sample,
      })),
      ...scan.answers.map((g) => ({
        kind: 'answer' as const,
        match: g.kind,
        similarity: g.similarity,
        ids: g.ids,
        sample: g.sample,
      })),
    ]
      .filter((group) => group.ids.every((id) => this.session.indexOf(id) !== undefined))
      .sort((a, b) => b.ids.length - a.ids.length || a.similarity - b.similarity)
      .slice(0, MAX_GROUP_ROWS)
      .map((group) => ({
        ...group,
        sample: group.sample.length > 160 ? `${group.sample.slice(0, 160)}…` : group.sample,
      }));
    return {
      createdAt: scan.createdAt,
      threshold: scan.threshold,
      questionGroups: scan.questions.length,
      answerGroups: scan.answers.length,
      groups,
    };
  }

  /** The cached token statistics, or "computing" while a worker computes them for the current inputs. */
  private tokenState(curated: ReturnType<DatasetSession['curatedPairs']>): TokenPanelState {
    const location = resolveTokenizer(setting('tokenizerPath'), this.session.workspaceDir);
    if ('missing' in location) return { status: 'missing', message: location.missing };
    const maxLength = setting('maxLength');
    const systemPrompt = setting('systemPrompt') || undefined;
    const included = curated.filter((pair) => !pair.excluded && pair.answer.trim() !== '');
    const key = createHash('sha1')
      .update(
        JSON.stringify([
          location.dir,
          maxLength,
          systemPrompt ?? null,
          this.session.version,
          this.textOverlayKey(),
        ]),
      )
      .digest('hex');
    if (this.tokens?.key === key) return this.tokens.state;
    this.tokens?.abort?.abort();
    if (included.length === 0)
      return { status: 'error', tokenizer: location.dir, message: 'No answered pairs to count.' };
    const abort = new AbortController();
    const computing = {
      status: 'computing' as const,
      tokenizer: location.dir,
      done: 0,
      total: included.length,
    };
    const entry: NonNullable<DatasetPanel['tokens']> = { key, state: computing, abort };
    this.tokens = entry;
    const request = {
      task: 'tokens' as const,
      tokenizerDir: location.dir,
      maxLength,
      ...(systemPrompt ? { systemPrompt } : {}),
      pairs: included.map((pair) => ({ id: pair.id, question: pair.question, answer: pair.answer })),
    };
    const onProgress = (done: number, total: number) => {
      if (entry.state.status !== 'computing') return;
      entry.state = { ...computing, done, total };
      this.schedulePush();
    };
    runInWorker(this.context.extensionPath, request, abort.signal, onProgress).then(
      (stats) => {
        entry.state = {
          status: 'ready',
          tokenizer: location.dir,
          maxLength,
          examples: stats.examples,
          prompt: stats.prompt,
          answer: stats.answer,
          total: stats.total,
          truncated: stats.truncated,
          truncatedShare: stats.truncatedShare,
          answerLost: stats.answerLost,
          answerTokensCutShare: stats.answerTokensCutShare,
          histogram: stats.histogram,
          unrenderable: stats.unrenderable.length,
          seconds: stats.seconds,
        };
        delete entry.abort;
        this.schedulePush();
      },
      (error: unknown) => {
        if (error instanceof CancelledError) return;
        entry.state = {
          status: 'error',
          tokenizer: location.dir,
          message: error instanceof Error ? error.message : String(error),
        };
        delete entry.abort;
        this.schedulePush();
      },
    );
    return entry.state;
  }

  /** Changes only when curation changes what is counted (edits, exclusions), not on flags or notes. */
  private textOverlayKey(): string {
    const hash = createHash('sha1');
    for (const [id, entry] of this.session.loadedOverlay?.all() ?? []) {
      if (entry.question !== undefined || entry.answer !== undefined || entry.excluded) {
        hash.update(
          JSON.stringify([id, entry.question ?? null, entry.answer ?? null, Boolean(entry.excluded)]),
        );
      }
    }
    return hash.digest('hex');
  }

  protected override validate(message: unknown): WebviewToHost<'dataset'> | Error {
    return parseDatasetMessage(message);
  }

  protected async onMessage(message: DatasetPanelRequest): Promise<void> {
    switch (message.type) {
      case 'openPair':
        await openPair(this.session, message.id, { viewColumn: vscode.ViewColumn.Beside });
        return;
      case 'openBoth':
        await openPairsSideBySide(this.session, message.left, message.right);
        return;
      case 'openProblem': {
        const problem = this.session.problems[message.index];
        if (!problem?.path) return;
        const line = Math.max(0, (problem.line ?? 1) - 1);
        const column = Math.max(0, (problem.column ?? 1) - 1);
        await vscode.window.showTextDocument(vscode.Uri.file(problem.path), {
          selection: new vscode.Range(line, column, line, column),
          viewColumn: vscode.ViewColumn.Beside,
        });
        return;
      }
      case 'setTokenizer':
        await chooseTokenizerFolder();
        return;
      case 'refreshTokens':
        this.tokens?.abort?.abort();
        this.tokens = undefined;
        await this.pushState();
        return;
      case 'run': {
        const commands = {
          import: Commands.datasetImport,
          findDuplicates: Commands.datasetFindDuplicates,
          split: Commands.datasetSplit,
          export: Commands.datasetExport,
        } as const;
        await vscode.commands.executeCommand(commands[message.command]);
        return;
      }
    }
  }

  override dispose(): void {
    clearTimeout(this.pushTimer);
    this.tokens?.abort?.abort();
    this.subscriptions.forEach((d) => d.dispose());
    super.dispose();
  }
}

/** Asks for a folder with tokenizer.json and stores it in `medqa.tokenizerPath` (workspace settings when a folder is open). */
export async function chooseTokenizerFolder(): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Use This Tokenizer',
    title: 'Folder with tokenizer.json (e.g. a local copy of the Qwen3 tokenizer)',
  });
  if (!picked?.[0]) return;
  const target = vscode.workspace.workspaceFolders?.length
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await updateSetting('tokenizerPath', picked[0].fsPath, target);
}
