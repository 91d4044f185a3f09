/**
 * Pairs as documents. `medqa-pair:` is a read-only Markdown view (TextDocumentContentProvider) that follows overlay
 * changes; `medqa-edit:` is an editable form (FileSystemProvider) whose save parses the text back and stores it in
 * the overlay (`.medqa/overlay.json`); the source files are never written.
 * URIs: `<scheme>:/<pair id>/<question slug>.md`: the id is everything but the last segment, the slug names the tab.
 */
import * as vscode from 'vscode';
import { parseEditable, PairTextError, renderEditable, renderPair, titleSlug } from './pairText';
import type { DatasetSession } from './session';

export const PAIR_SCHEME = 'medqa-pair';
export const EDIT_SCHEME = 'medqa-edit';

export function pairUri(scheme: string, id: string, question: string): vscode.Uri {
  return vscode.Uri.from({ scheme, path: `/${id}/${titleSlug(question)}.md` });
}

export function pairIdFromUri(uri: vscode.Uri): string | undefined {
  const segments = uri.path.split('/').filter(Boolean);
  return segments.length >= 2 ? segments.slice(0, -1).join('/') : undefined;
}

function openDocumentsOf(scheme: string, id?: string): vscode.Uri[] {
  return vscode.workspace.textDocuments
    .map((document) => document.uri)
    .filter((uri) => uri.scheme === scheme && (id === undefined || pairIdFromUri(uri) === id));
}

function openTabsOf(scheme: string, id?: string): vscode.Uri[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .flatMap((tab) => (tab.input instanceof vscode.TabInputText ? [tab.input.uri] : []))
    .filter((uri) => uri.scheme === scheme && (id === undefined || pairIdFromUri(uri) === id));
}

class PairContentProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly session: DatasetSession) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    await this.session.whenLoaded().catch(() => undefined);
    const id = pairIdFromUri(uri);
    const pair = id === undefined ? undefined : this.session.curated(id);
    if (!pair)
      return `# Pair not found\n\nNo pair with id \`${id ?? uri.path}\` is loaded. Import its source or refresh the dataset.\n`;
    return renderPair(pair, {
      split: this.session.splitOf(pair.id),
      duplicates: this.session.duplicatesOf(pair.id),
    });
  }

  refresh(id?: string): void {
    for (const uri of openDocumentsOf(PAIR_SCHEME, id)) this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

class PairEditFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  /** Modification stamps per pair id, bumped on every overlay change so open editors notice. */
  private readonly stamps = new Map<string, number>();
  /** Set when every pair may have changed (a reload). */
  private everyPairStamp = Date.now();

  constructor(private readonly session: DatasetSession) {}

  private pairOf(uri: vscode.Uri) {
    const id = pairIdFromUri(uri);
    const pair = id === undefined ? undefined : this.session.curated(id);
    if (!pair) throw vscode.FileSystemError.FileNotFound(uri);
    return pair;
  }

  /** A newer stamp makes a reopened editor reload; a change event reloads the editors shown in tabs now. */
  touch(id?: string): void {
    const now = Date.now();
    if (id === undefined) this.everyPairStamp = now;
    else this.stamps.set(id, now);
    const uris = openTabsOf(EDIT_SCHEME, id);
    if (uris.length) this.changed.fire(uris.map((uri) => ({ type: vscode.FileChangeType.Changed, uri })));
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    await this.session.whenLoaded().catch(() => undefined);
    const pair = this.pairOf(uri);
    const mtime = Math.max(this.stamps.get(pair.id) ?? 0, this.everyPairStamp);
    return { type: vscode.FileType.File, ctime: 1, mtime, size: Buffer.byteLength(renderEditable(pair)) };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    await this.session.whenLoaded().catch(() => undefined);
    return Buffer.from(renderEditable(this.pairOf(uri)), 'utf8');
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const pair = this.pairOf(uri);
    let edited: { question: string; answer: string };
    try {
      edited = parseEditable(Buffer.from(content).toString('utf8'));
    } catch (error) {
      if (error instanceof PairTextError) throw new vscode.FileSystemError(`Not saved: ${error.message}`);
      throw error;
    }
    // Text equal to the source (ignoring surrounding whitespace, which the form trims) clears the edit.
    const question = edited.question === pair.originalQuestion.trim() ? null : edited.question;
    const answer = edited.answer === pair.originalAnswer.trim() ? null : edited.answer;
    const unchanged = edited.question === pair.question.trim() && edited.answer === pair.answer.trim();
    this.stamps.set(pair.id, Date.now());
    if (unchanged) return;
    const overlay = await this.session.overlay();
    await overlay.update(pair.id, { question, answer }, 'Edit pair');
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('Pairs cannot be created here; import a dataset instead.');
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions('Pairs cannot be deleted; exclude the pair instead.');
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('Pairs cannot be renamed.');
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Registers both schemes and keeps open documents in step with the session. */
export function registerPairDocuments(session: DatasetSession): vscode.Disposable {
  const content = new PairContentProvider(session);
  const editable = new PairEditFileSystem(session);
  const subscription = session.onDidChange((change) => {
    const id = change.kind === 'overlay' ? change.change.id : undefined;
    content.refresh(id);
    editable.touch(id);
  });
  return vscode.Disposable.from(
    content,
    editable,
    vscode.workspace.registerTextDocumentContentProvider(PAIR_SCHEME, content),
    vscode.workspace.registerFileSystemProvider(EDIT_SCHEME, editable, { isCaseSensitive: true }),
    subscription,
  );
}

export async function openPair(
  session: DatasetSession,
  id: string,
  options: vscode.TextDocumentShowOptions = {},
) {
  const pair = session.curated(id);
  if (!pair) throw new Error(`No pair with id ${id} is loaded.`);
  const document = await vscode.workspace.openTextDocument(pairUri(PAIR_SCHEME, id, pair.question));
  return vscode.window.showTextDocument(document, { preview: true, ...options });
}

export async function openPairForEditing(session: DatasetSession, id: string) {
  const pair = session.curated(id);
  if (!pair) throw new Error(`No pair with id ${id} is loaded.`);
  const document = await vscode.workspace.openTextDocument(pairUri(EDIT_SCHEME, id, pair.question));
  return vscode.window.showTextDocument(document, { preview: false });
}

/** Two pairs side by side (a diff editor), e.g. the members of a duplicate group. */
export async function openPairsSideBySide(
  session: DatasetSession,
  left: string,
  right: string,
): Promise<void> {
  const a = session.curated(left);
  const b = session.curated(right);
  if (!a || !b) throw new Error(`Pair ${a ? right : left} is not loaded.`);
  await vscode.commands.executeCommand(
    'vscode.diff',
    pairUri(PAIR_SCHEME, left, a.question),
    pairUri(PAIR_SCHEME, right, b.question),
    `${left} ↔ ${right}`,
  );
}
