/**
 * Retrieval indexes in the QA Pairs view: one node per index above the groups, with pairs, size, short data hash,
 * scope and "stale" once the curated data changed since it was built. Freshness is checked shortly after curation
 * changes; only the changed pairs are rendered again.
 */
import * as vscode from 'vscode';
import { TreeNode } from '../../vscode/treeNode';
import type { DatasetSession } from '../../dataset/view/session';
import { readSplit, type SplitFile } from '../../dataset/split';
import { formatBytes } from '../../util/bytes';
import { describeIndex, listIndexes, type IndexEntry } from '../indexes';
import { CuratedLines, freshness, type Freshness } from '../freshness';
import * as path from 'node:path';

export class IndexNode extends TreeNode {
  readonly parent = undefined;

  constructor(
    readonly entry: IndexEntry,
    private readonly fresh: Freshness | undefined,
  ) {
    super();
  }

  get id(): string {
    return `retrieval:${this.entry.paths.name}`;
  }

  /** Commands given a node take the index folder from here. */
  get indexDir(): string {
    return this.entry.paths.dir;
  }

  treeItem(): vscode.TreeItem {
    const summary = describeIndex(
      this.entry,
      this.fresh ?? { state: 'unknown', why: 'checking…' },
      formatBytes,
    );
    const item = new vscode.TreeItem(summary.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = ['retrievalIndex', summary.stale && 'stale', !this.entry.manifest && 'broken']
      .filter(Boolean)
      .join(' ');
    item.description = summary.description;
    item.iconPath = summary.stale
      ? new vscode.ThemeIcon('search', new vscode.ThemeColor('problemsWarningIcon.foreground'))
      : new vscode.ThemeIcon('search');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${summary.label}**\n\n`);
    tip.appendText(summary.details.join('\n'));
    item.tooltip = tip;
    return item;
  }

  children(): TreeNode[] {
    return [];
  }
}

/** The workspace's indexes and their freshness, read again on `refresh` and re-checked after curation changes. */
export class IndexList implements vscode.Disposable {
  entries: IndexEntry[] = [];
  private fresh = new Map<string, Freshness>();
  /** The curated lines per scope ("all", or "train:<split hash>"), kept up to date pair by pair. */
  private lines = new Map<string, CuratedLines>();
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly root: string,
    private readonly session: DatasetSession,
  ) {
    this.subscription = session.onDidChange((change) => {
      if (change.kind === 'overlay') this.updatePairs([change.change.id]);
      else if (change.kind === 'overlayExternal') this.updatePairs(change.ids);
      else if (change.kind === 'data') this.lines.clear();
      else if (change.kind === 'duplicates') return;
      this.scheduleCheck();
    });
  }

  nodes(): IndexNode[] {
    return this.entries.map((entry) => new IndexNode(entry, this.fresh.get(entry.paths.name)));
  }

  freshness(name: string): Freshness | undefined {
    return this.fresh.get(name);
  }

  async refresh(): Promise<void> {
    this.entries = this.root ? await listIndexes(this.root) : [];
    await this.check();
  }

  private updatePairs(ids: readonly string[]): void {
    for (const lines of this.lines.values()) for (const id of ids) lines.update(id, this.session.curated(id));
  }

  private scheduleCheck(): void {
    if (this.entries.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), 300);
  }

  /** Compares every index with what the curated data would give now (nothing while the dataset loads). */
  async check(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.session.whenLoaded().catch(() => undefined);
    const next = new Map<string, Freshness>();
    const used = new Set<string>();
    if (this.entries.length && this.session.pairs.length) {
      for (const entry of this.entries) {
        const split = entry.record?.splitFile ? await this.splitAt(entry.record.splitFile) : undefined;
        next.set(
          entry.paths.name,
          freshness(entry, split, (s) => this.linesFor(s, used).hash()),
        );
      }
    }
    // Lines of a split no index uses any more are dropped.
    for (const key of this.lines.keys()) if (!used.has(key)) this.lines.delete(key);
    this.fresh = next;
    this.changed.fire();
  }

  private linesFor(split: SplitFile | undefined, used: Set<string>): CuratedLines {
    const key = split ? `train:${split.splitHash}` : 'all';
    used.add(key);
    let lines = this.lines.get(key);
    if (!lines) this.lines.set(key, (lines = new CuratedLines(split).reset(this.session.curatedPairs())));
    return lines;
  }

  /** The split file as it is now: the session's when it is the same file, else read from disk. */
  private async splitAt(relative: string): Promise<SplitFile | undefined> {
    const file = path.resolve(this.root, relative);
    const current = this.session.split && (await this.session.workspace()).lastSplit?.path;
    if (current && path.resolve(current) === file) return this.session.split;
    return readSplit(file).catch(() => undefined);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.changed.dispose();
  }
}
