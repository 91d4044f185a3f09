/**
 * The QA Pairs tree: groups (collection → document, qtype → collection, split → collection, with pages for long
 * lists) and pairs. Group indexes are built once per grouping and data version; tree items are made only for the
 * nodes VS Code asks for, and node objects are cached by id so refreshes and `reveal` address the same elements.
 */
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { CuratedPair } from '../overlay';
import { ancestry, buildGroupIndex, type GroupData, type GroupIndex, type Grouping } from './pairGroups';
import type { DatasetSession } from './session';
import { TreeNode } from '../../vscode/treeNode';

const GROUPING_KEY = 'medqa.qaPairs.grouping';
const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

interface CurationCounts {
  flagged: number;
  excluded: number;
}

const groupIcons: Record<GroupData['kind'], string> = {
  collection: 'library',
  document: 'file-text',
  qtype: 'symbol-enum',
  split: 'split-horizontal',
  page: 'list-flat',
};

export class GroupNode extends TreeNode {
  constructor(
    private readonly tree: PairTreeProvider,
    readonly data: GroupData,
    readonly parent: GroupNode | undefined,
  ) {
    super();
  }

  get id(): string {
    return this.data.id;
  }

  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.data.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = `group ${this.data.kind}`;
    item.iconPath = new vscode.ThemeIcon(groupIcons[this.data.kind]);
    const curation = this.tree.curationCounts().get(this.data.id);
    const parts = [this.data.detail, plural(this.data.all.length, 'pair')];
    if (curation?.flagged) parts.push(`${count(curation.flagged)} flagged`);
    if (curation?.excluded) parts.push(`${count(curation.excluded)} excluded`);
    item.description = parts.filter(Boolean).join(' · ');
    item.tooltip = `${this.data.label}${this.data.detail ? ` (${this.data.detail})` : ''}\n${item.description}`;
    return item;
  }

  children(): TreeNode[] {
    if (this.data.groups) return this.data.groups.map((group) => this.tree.groupNode(group, this));
    return (this.data.pairs ?? []).map((index) => this.tree.pairNode(index, this));
  }
}

export class PairNode extends TreeNode {
  constructor(
    private readonly tree: PairTreeProvider,
    readonly index: number,
    readonly parent: GroupNode,
  ) {
    super();
  }

  get pairId(): string {
    return this.tree.session.pairs[this.index].id;
  }

  get id(): string {
    return `p:${this.pairId}`;
  }

  treeItem(): vscode.TreeItem {
    const pair = this.tree.session.curate(this.tree.session.pairs[this.index]);
    const duplicates = this.tree.session.duplicatesOf(pair.id);
    const item = new vscode.TreeItem(pair.question, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const states = [
      pair.excluded && 'excluded',
      pair.flagged && 'flagged',
      duplicates.length > 0 && 'duplicate',
      pair.edited && 'edited',
      pair.note && 'noted',
      pair.answer.trim() === '' && 'unanswered',
    ].filter((state): state is string => typeof state === 'string');
    item.contextValue = ['pair', ...states].join(' ');
    item.iconPath = pairIcon(pair, duplicates.length > 0);
    const context =
      this.tree.grouping === 'collection' ? pair.qtype : (pair.document.focus ?? pair.document.id);
    item.description = [context, ...states].join(' · ');
    item.tooltip = pairTooltip(pair, duplicates);
    item.command = { command: Commands.datasetOpenPair, title: 'Open Pair', arguments: [pair.id] };
    item.accessibilityInformation = { label: `${pair.question} ${states.join(', ')}` };
    return item;
  }

  children(): TreeNode[] {
    return [];
  }
}

function pairIcon(pair: CuratedPair, duplicate: boolean): vscode.ThemeIcon {
  if (pair.excluded) return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('errorForeground'));
  if (pair.flagged)
    return new vscode.ThemeIcon('flag', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  if (duplicate) return new vscode.ThemeIcon('copy', new vscode.ThemeColor('problemsInfoIcon.foreground'));
  if (pair.edited)
    return new vscode.ThemeIcon('edit', new vscode.ThemeColor('gitDecoration.modifiedResourceForeground'));
  if (pair.answer.trim() === '')
    return new vscode.ThemeIcon('question', new vscode.ThemeColor('disabledForeground'));
  return new vscode.ThemeIcon('comment-discussion');
}

function pairTooltip(pair: CuratedPair, duplicates: string[]): vscode.MarkdownString {
  const tip = new vscode.MarkdownString(undefined, true);
  tip.appendMarkdown(`**${escape(pair.question)}**\n\n`);
  const answer = pair.answer.trim();
  tip.appendText(answer ? (answer.length > 300 ? `${answer.slice(0, 300)}…` : answer) : '(no answer)');
  tip.appendMarkdown(
    `\n\n$(tag) ${escape(pair.qtype)} · $(library) ${escape(pair.document.collection)} · \`${escape(pair.id)}\``,
  );
  if (pair.flagged)
    tip.appendMarkdown(`\n\n$(flag) Flagged: ${escape(pair.flagged.reason || '(no reason)')}`);
  if (pair.excluded)
    tip.appendMarkdown(`\n\n$(circle-slash) Excluded: ${escape(pair.excluded.reason || '(no reason)')}`);
  if (pair.note) tip.appendMarkdown(`\n\n$(note) ${escape(pair.note)}`);
  if (duplicates.length)
    tip.appendMarkdown(`\n\n$(copy) Duplicate of ${duplicates.map((id) => `\`${escape(id)}\``).join(', ')}`);
  return tip;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+\-.!|$]/g, '\\$&');
}

export class PairTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private index: GroupIndex | undefined;
  private indexKey = '';
  private nodes = new Map<string, TreeNode>();
  private curation: Map<string, CurationCounts> | undefined;
  private readonly subscriptions: { dispose(): void }[] = [];
  /** Nodes above the groups, owned by another feature (the retrieval indexes); it calls `refreshLeading`. */
  private leading: () => TreeNode[] = () => [];

  constructor(
    readonly session: DatasetSession,
    private readonly memento: vscode.Memento,
  ) {
    this.subscriptions.push(
      this.changed,
      session.onDidChange((change) => {
        this.curation = undefined;
        if (change.kind === 'overlay') this.refreshPair(change.change.id);
        else if (change.kind === 'duplicates') this.refreshVisiblePairs();
        else this.refreshAll();
      }),
    );
    void vscode.commands.executeCommand('setContext', GROUPING_KEY, this.grouping);
  }

  get grouping(): Grouping {
    return this.memento.get<Grouping>(GROUPING_KEY, 'collection');
  }

  async setGrouping(grouping: Grouping): Promise<void> {
    await this.memento.update(GROUPING_KEY, grouping);
    await vscode.commands.executeCommand('setContext', GROUPING_KEY, grouping);
    this.refreshAll();
  }

  private currentIndex(): GroupIndex {
    const key = `${this.grouping}:${this.session.version}:${this.grouping === 'split' ? (this.session.split?.splitHash ?? '') : ''}`;
    if (!this.index || key !== this.indexKey) {
      this.index = buildGroupIndex(this.session.pairs, this.grouping, {
        splitOf: (id) => this.session.splitOf(id),
      });
      this.indexKey = key;
      this.nodes = new Map();
      this.curation = undefined;
    }
    return this.index;
  }

  /** Flagged and excluded counts per group id, from the overlay's (few) entries. */
  curationCounts(): Map<string, CurationCounts> {
    if (this.curation) return this.curation;
    const counts = new Map<string, CurationCounts>();
    const overlay = this.session.loadedOverlay;
    const index = this.currentIndex();
    for (const [id, entry] of overlay?.all() ?? []) {
      const pairIndex = this.session.indexOf(id);
      if (pairIndex === undefined || (!entry.flag && !entry.excluded)) continue;
      for (const group of ancestry(index, pairIndex)) {
        const row = counts.get(group.id) ?? { flagged: 0, excluded: 0 };
        if (entry.flag) row.flagged++;
        if (entry.excluded) row.excluded++;
        counts.set(group.id, row);
      }
    }
    return (this.curation = counts);
  }

  groupNode(data: GroupData, parent: GroupNode | undefined): GroupNode {
    let node = this.nodes.get(data.id) as GroupNode | undefined;
    if (!node) this.nodes.set(data.id, (node = new GroupNode(this, data, parent)));
    return node;
  }

  pairNode(index: number, parent: GroupNode): PairNode {
    const id = `p:${this.session.pairs[index].id}`;
    let node = this.nodes.get(id) as PairNode | undefined;
    if (!node) this.nodes.set(id, (node = new PairNode(this, index, parent)));
    return node;
  }

  /** The node of a pair (creating its ancestors' nodes), for `reveal`. */
  nodeForPair(pairId: string): PairNode | undefined {
    const pairIndex = this.session.indexOf(pairId);
    if (pairIndex === undefined) return undefined;
    let parent: GroupNode | undefined;
    for (const group of ancestry(this.currentIndex(), pairIndex)) parent = this.groupNode(group, parent);
    return parent && this.pairNode(pairIndex, parent);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (node) return node.children();
    if (this.session.status === 'loading' && this.session.pairs.length === 0) return [];
    const groups = this.currentIndex().roots.map((root) => this.groupNode(root, undefined));
    // Without pairs the view shows its welcome (import a dataset), whatever else there is.
    return groups.length ? [...this.leading(), ...groups] : [];
  }

  /** Shows `nodes()` above the groups (called again on every refresh). */
  setLeadingNodes(nodes: () => TreeNode[]): void {
    this.leading = nodes;
    this.changed.fire(undefined);
  }

  /** The leading nodes changed: VS Code asks for the roots again (the group nodes are reused). */
  refreshLeading(): void {
    this.changed.fire(undefined);
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  private refreshAll(): void {
    this.index = undefined;
    this.nodes = new Map();
    this.changed.fire(undefined);
  }

  /** A pair's item and its ancestors' counts (only nodes VS Code already knows about). */
  private refreshPair(pairId: string): void {
    const node = this.nodes.get(`p:${pairId}`);
    const pairIndex = this.session.indexOf(pairId);
    if (pairIndex === undefined || !this.index) return;
    const groups = ancestry(this.index, pairIndex)
      .map((group) => this.nodes.get(group.id))
      .filter((n): n is TreeNode => n !== undefined);
    this.changed.fire([...groups, ...(node ? [node] : [])]);
  }

  private refreshVisiblePairs(): void {
    this.changed.fire([...this.nodes.values()].filter((node) => node instanceof PairNode));
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}
