import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import type { ExtensionServices } from '../../vscode/services';
import { watchDebounced } from '../../vscode/fileWatcher';
import { GradeStore } from '../gradeFiles';
import { emptyBook, GRADES_DIR, resolveGrader, type GradeBook, type StoreRecord } from '../gradeStore';
import { loadGradedEvaluation, type GradedEvaluation } from '../gradedEvaluation';
import { setting } from '../../vscode/settings';
import { needsFolder } from '../../util/prerequisite';

const RELOAD_DELAY_MS = 150;

/**
 * The workspace's grade store as the views see it: the book read from `.medqa/grades/`, brought up to date when
 * any grade file changes (another window, a colleague's commit, a `git pull`) by reading only what was appended,
 * and evaluations cached until their files change. Views listen to `onDidChange`, fired only when the book did
 * change (the watcher's echo of our own append reads nothing and fires nothing). Grades are written only in a
 * trusted workspace.
 */
export class GradeService implements vscode.Disposable {
  private book: GradeBook = emptyBook();
  private loaded: Promise<GradeBook> | undefined;
  private readonly reported = new Set<string>();
  private readonly evaluations = new Map<string, Promise<GradedEvaluation>>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private store: GradeStore | undefined;

  constructor(
    private readonly services: ExtensionServices,
    artifacts: ArtifactIndex,
  ) {
    const root = services.workspaceRoot();
    if (root) {
      const glob = `${GRADES_DIR.split(path.sep).join('/')}/*.jsonl`;
      const options = { delayMs: RELOAD_DELAY_MS, restart: true };
      this.disposables.push(watchDebounced(root, glob, options, () => this.reloadNow(false)));
    }
    // An evaluation whose answers changed (re-run, or written by another window) is read again.
    this.disposables.push(
      artifacts.onDidChange((change) => {
        const changed = [...change.evaluations].filter(([, files]) =>
          files.some((file) => path.basename(file) === 'predictions.jsonl' && isSideFile(file)),
        );
        if (changed.length === 0) return;
        for (const [dir] of changed) this.evaluations.delete(dir);
        this.reloadNow(true);
      }),
    );
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('medqa.grading.grader')) this.changed.fire();
      }),
    );
  }

  get gradesDir(): string {
    const root = this.services.workspaceRoot();
    if (!root) throw needsFolder('grades are kept in its .medqa/grades/ folder');
    return path.join(root, GRADES_DIR);
  }

  /** The grader from `medqa.grading.grader`, else the OS user name. */
  grader(): string {
    return resolveGrader(setting('grading.grader'));
  }

  async current(): Promise<GradeBook> {
    this.loaded ??= this.reload();
    return this.loaded;
  }

  /** The book as last read, without waiting (for synchronous callers such as CodeLens titles). */
  get latest(): GradeBook {
    return this.book;
  }

  evaluation(dir: string): Promise<GradedEvaluation> {
    const key = path.resolve(dir);
    let found = this.evaluations.get(key);
    if (!found) {
      found = loadGradedEvaluation(key);
      this.evaluations.set(key, found);
    }
    return found;
  }

  /** The store of the workspace folder open now (a new one when the folder changed). */
  private storeOf(root: string): GradeStore {
    if (this.store?.root !== root) this.store = new GradeStore(root, () => vscode.workspace.isTrusted);
    return this.store;
  }

  async append(record: StoreRecord): Promise<GradeBook> {
    const root = this.services.workspaceRoot();
    if (!root) throw needsFolder('grades are kept in its .medqa/grades/ folder');
    await this.storeOf(root).append(record);
    this.loaded = this.reload();
    const book = await this.loaded;
    this.changed.fire();
    return book;
  }

  /** Reads what the grade files gained; `force`: an evaluation changed, so views redraw even when no grade did. */
  private reloadNow(force: boolean): void {
    const before = this.book;
    this.loaded = this.reload();
    void this.loaded.then((book) => {
      if (force || book !== before) this.changed.fire();
    });
  }

  private async reload(): Promise<GradeBook> {
    const root = this.services.workspaceRoot();
    const book = root ? (await this.storeOf(root).refresh()).book : emptyBook();
    if (book === this.book) return book;
    this.book = book;
    // Each bad line is told once (log and a warning), not on every re-read.
    const fresh = book.problems.filter((p) => !this.reported.has(p));
    fresh.forEach((p) => {
      this.reported.add(p);
      this.services.log.warn(p);
    });
    if (fresh.length > 0)
      void vscode.window
        .showWarningMessage(
          `MedQA: ${fresh.length} line(s) in the grade files could not be read and are skipped (nothing else is lost): ${fresh[0]}`,
          'Show Log',
        )
        .then((choice) => {
          if (choice) this.services.log.show();
        });
    return book;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/** `<evaluation>/{base,adapter}/<file>`: the answers the grades are about. */
function isSideFile(file: string): boolean {
  const side = path.basename(path.dirname(file));
  return side === 'base' || side === 'adapter';
}
