import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { GradingPanelRequest, GradingPanelState } from '../../protocol/gradingPanel';
import type { WebviewToHost } from '../../protocol/webviewMessages';
import type { ExtensionServices } from '../../vscode/services';
import { WebviewPanelHost } from '../../vscode/webviewHost';
import { gradeOf } from '../gradeStore';
import { DEFAULT_FILTER, GradingSession } from '../gradingSession';
import { parseGradingMessage } from '../panelMessages';
import { isWebUrl } from '../../retrieval/citations';
import type { GradeService } from './gradeService';

const SHOWN_KEY = 'medqa.grading.shownInPanel';
const SEEDS_KEY = 'medqa.grading.blindSeeds';

/** What the panel's diff buttons open: the commands own the documents, the panel only asks. */
export interface DiffOpeners {
  withReference(dir: string, side: 'base' | 'adapter', id: string): Promise<unknown>;
  baseVsAdapter(dir: string, id: string): Promise<unknown>;
  pickEvaluation(): Promise<string | undefined>;
}

/**
 * The Grading panel: one example at a time, graded with the keyboard. The session (which example, filters,
 * mode) lives here; every grade goes to the store at once and the panel re-renders from the store, so grades
 * made elsewhere (the CodeLens, another window) show up too.
 */
export class GradingPanel extends WebviewPanelHost<'grading'> {
  private session: GradingSession | undefined;
  private sessionDir: string | undefined;

  constructor(
    private readonly services: ExtensionServices,
    private readonly grades: GradeService,
    private readonly openers: DiffOpeners,
  ) {
    super(services.context, 'grading', 'MedQA Grading');
    const remembered = services.context.workspaceState.get<string>(SHOWN_KEY);
    this.sessionDir = remembered && existsSync(remembered) ? remembered : undefined;
    services.context.subscriptions.push(grades.onDidChange(() => void this.refresh()));
  }

  get shown(): string | undefined {
    return this.panel ? this.sessionDir : undefined;
  }

  /** The session, for tests and the CodeLens (which example is on screen). */
  get current(): GradingSession | undefined {
    return this.session;
  }

  async showEvaluation(dir: string, exampleId?: string): Promise<GradingPanelState> {
    if (this.sessionDir !== dir || !this.session) {
      this.sessionDir = dir;
      this.session = undefined;
      await this.services.context.workspaceState.update(SHOWN_KEY, dir);
    }
    const session = await this.ensureSession();
    if (exampleId && session) session.goTo(exampleId);
    this.show();
    await this.pushState();
    return this.state();
  }

  /** The blind order's seed for this evaluation: drawn once, then kept, so the A/B order is stable. */
  private async blindSeed(dir: string): Promise<number> {
    const seeds = this.services.context.workspaceState.get<Record<string, number>>(SEEDS_KEY) ?? {};
    if (seeds[dir] === undefined) {
      seeds[dir] = randomInt(0, 2 ** 31);
      await this.services.context.workspaceState.update(SEEDS_KEY, seeds);
    }
    return seeds[dir];
  }

  private async ensureSession(): Promise<GradingSession | undefined> {
    if (this.session || !this.sessionDir) return this.session;
    const evaluation = await this.grades.evaluation(this.sessionDir);
    this.session = new GradingSession(
      evaluation,
      this.grades.grader(),
      await this.blindSeed(this.sessionDir),
    );
    return this.session;
  }

  private async refresh(): Promise<void> {
    // A changed predictions file or grader name means a new session on the same folder (same example).
    const session = this.session;
    if (session && this.sessionDir) {
      const evaluation = await this.grades.evaluation(this.sessionDir);
      let grader = session.grader;
      try {
        grader = this.grades.grader();
      } catch {
        // An invalid grader setting is reported when the user next grades.
      }
      if (evaluation !== session.evaluation || grader !== session.grader) {
        const next = new GradingSession(evaluation, grader, session.blindSeed);
        next.mode = session.mode;
        next.filter = session.filter;
        if (evaluation.sides.includes(session.side)) next.side = session.side;
        const id = session.currentExampleId;
        if (id && evaluation.examples.some((e) => e.id === id)) next.goTo(id);
        this.session = next;
      }
    }
    await this.pushState();
  }

  protected override validate(message: unknown): WebviewToHost<'grading'> | Error {
    return parseGradingMessage(message);
  }

  protected override rejected(error: Error): void {
    this.services.log.warn(error.message);
  }

  protected async state(): Promise<GradingPanelState> {
    const session = await this.ensureSession();
    if (!session) {
      let grader = '';
      try {
        grader = this.grades.grader();
      } catch (error) {
        grader = (error as Error).message;
      }
      return {
        evaluation: null,
        grader,
        mode: 'single',
        side: 'adapter',
        filter: DEFAULT_FILTER,
        qtypes: [],
        position: { index: 0, count: 0 },
        progress: { graded: 0, total: 0 },
        example: null,
        problems: [],
      };
    }
    const book = await this.grades.current();
    return session.state(book, book.problems);
  }

  /** The request being handled: requests run one after another (see onMessage). */
  private queue: Promise<void> = Promise.resolve();

  /**
   * Handles requests one at a time, in the order sent. Each change is made on the book as the previous one left
   * it: run side by side, a grade and a flag typed in quick succession both read the book from before either was
   * written, and the flag's record (grade still empty) undid the grade.
   */
  protected onMessage(message: GradingPanelRequest): Promise<void> {
    const handled = this.queue.then(() => this.handle(message));
    this.queue = handled.catch(() => undefined);
    return handled;
  }

  private async handle(message: GradingPanelRequest): Promise<void> {
    if (message.type === 'selectEvaluation') {
      const dir = await this.openers.pickEvaluation();
      if (dir) await this.showEvaluation(dir);
      return;
    }
    const session = await this.ensureSession();
    if (!session) return;
    const book = await this.grades.current();
    switch (message.type) {
      case 'grade':
        await this.grades.append(session.change(book, message.slot, { grade: message.grade }, message.id));
        return;
      case 'toggleFlag':
        await this.grades.append(
          session.change(book, message.slot, { toggleFlag: message.flag }, message.id),
        );
        return;
      case 'comment': {
        // Typing pauses send the comment often; an unchanged one is not written again.
        const record = session.change(book, message.slot, { comment: message.comment }, message.id);
        const before = gradeOf(book, record.grader, record, record.blind !== undefined).current;
        if ((before?.comment ?? '') !== message.comment) await this.grades.append(record);
        return;
      }
      case 'prefer':
        await this.grades.append(session.prefer(book, message.preference, message.id));
        return;
      case 'navigate':
        session.navigate(book, message.to);
        break;
      case 'setFilter':
        session.setFilter(book, message.filter);
        break;
      case 'setMode':
        session.setMode(message.mode, book);
        break;
      case 'setSide':
        session.setSide(message.side);
        break;
      case 'openDiff': {
        const example = session.exampleFor(book, message.id);
        if (message.kind === 'baseVsAdapter')
          await this.openers.baseVsAdapter(session.evaluation.dir, example.id);
        else
          await this.openers.withReference(
            session.evaluation.dir,
            session.sideOf(message.slot, example),
            example.id,
          );
        return;
      }
      case 'openSource': {
        // Only the link of a source on show, and only a web link: the webview is untrusted.
        const shown = session.state(book, []).example?.sources ?? [];
        if (!isWebUrl(message.url) || !shown.some((s) => s.url === message.url))
          throw new Error(`Not a source link shown in the Grading panel: ${message.url}`);
        await vscode.env.openExternal(vscode.Uri.parse(message.url, true));
        return;
      }
    }
    await this.pushState();
  }

  /** Keyboard-free entry points for tests and commands: the same paths the webview's messages take. */
  async request(message: GradingPanelRequest): Promise<GradingPanelState> {
    const parsed = parseGradingMessage(message);
    if (parsed instanceof Error) throw parsed;
    await this.onMessage(message);
    return this.state();
  }
}
