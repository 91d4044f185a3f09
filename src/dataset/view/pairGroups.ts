/**
 * Group indexes for the QA Pairs tree: built once per grouping (and data version) in one pass over the pairs, so the
 * tree only creates items for nodes the user expands. Large child lists are cut into pages ("1–500 of 5,430") so
 * no expand ever sends thousands of items. Pure (no vscode).
 */
import type { QaPair } from '../model';

export type Grouping = 'collection' | 'qtype' | 'split';

export type GroupKind = 'collection' | 'document' | 'qtype' | 'split' | 'page';

export interface GroupData {
  /** Unique within one index; also the tree item id. */
  readonly id: string;
  readonly kind: GroupKind;
  readonly label: string;
  /** Secondary text, e.g. the document id next to its focus. */
  readonly detail?: string;
  parent?: GroupData;
  /** Sub-groups (or pages of them), or the indexes of the pairs directly below. */
  groups?: GroupData[];
  pairs?: number[];
  /** Indexes of every pair below this group, in tree order. */
  readonly all: number[];
}

export interface GroupIndex {
  readonly grouping: Grouping;
  readonly roots: GroupData[];
  /** The group (or page) directly holding pair i. */
  readonly leafOf: (GroupData | undefined)[];
}

export const PAGE_SIZE = 500;
export const NOT_IN_SPLIT = 'Not in split';

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

/** Insertion-ordered multimap from a key to the pair indexes (and the first pair, for labels). */
class Buckets {
  readonly map = new Map<string, number[]>();
  add(key: string, index: number): void {
    const list = this.map.get(key);
    if (list) list.push(index);
    else this.map.set(key, [index]);
  }
}

function group(id: string, kind: GroupKind, label: string, all: number[], detail?: string): GroupData {
  return { id, kind, label, all, ...(detail !== undefined ? { detail } : {}) };
}

function adopt(parent: GroupData, children: GroupData[]): void {
  parent.groups = children;
  for (const child of children) child.parent = parent;
}

function range(start: number, end: number, total: number): string {
  return `${(start + 1).toLocaleString('en-US')}–${end.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;
}

/** Splits long child lists into page nodes, recursively. */
function paginate(node: GroupData, pageSize: number): void {
  if (node.groups) {
    node.groups.forEach((child) => paginate(child, pageSize));
    if (node.groups.length > pageSize) {
      const children = node.groups;
      const pages: GroupData[] = [];
      for (let start = 0; start < children.length; start += pageSize) {
        const slice = children.slice(start, start + pageSize);
        const page = group(
          `${node.id}#${start}`,
          'page',
          range(start, start + slice.length, children.length),
          slice.flatMap((g) => g.all),
        );
        adopt(page, slice);
        pages.push(page);
      }
      adopt(node, pages);
    }
  } else if (node.pairs && node.pairs.length > pageSize) {
    const pairs = node.pairs;
    const pages: GroupData[] = [];
    for (let start = 0; start < pairs.length; start += pageSize) {
      const slice = pairs.slice(start, start + pageSize);
      const page = group(
        `${node.id}#${start}`,
        'page',
        range(start, start + slice.length, pairs.length),
        slice,
      );
      page.pairs = slice;
      pages.push(page);
    }
    delete node.pairs;
    adopt(node, pages);
  }
}

function collectionGroups(pairs: readonly QaPair[], indexes: readonly number[], prefix: string): GroupData[] {
  const buckets = new Buckets();
  for (const i of indexes) buckets.add(pairs[i].document.collection, i);
  return [...buckets.map.entries()]
    .sort((a, b) => naturalOrder(a[0], b[0]))
    .map(([collection, members]) => {
      const node = group(`${prefix}c:${collection}`, 'collection', collection, members);
      node.pairs = members;
      return node;
    });
}

function byCollection(pairs: readonly QaPair[]): GroupData[] {
  const collections = new Buckets();
  pairs.forEach((pair, i) => collections.add(pair.document.collection, i));
  return [...collections.map.entries()]
    .sort((a, b) => naturalOrder(a[0], b[0]))
    .map(([collection, members]) => {
      const node = group(`c:${collection}`, 'collection', collection, members);
      const documents = new Buckets();
      for (const i of members) documents.add(pairs[i].document.id, i);
      adopt(
        node,
        [...documents.map.entries()].map(([documentId, inDocument]) => {
          const doc = pairs[inDocument[0]].document;
          const child = group(
            `c:${collection}/d:${documentId}`,
            'document',
            doc.focus || documentId,
            inDocument,
            documentId,
          );
          child.pairs = inDocument;
          return child;
        }),
      );
      return node;
    });
}

function byQtype(pairs: readonly QaPair[]): GroupData[] {
  const qtypes = new Buckets();
  pairs.forEach((pair, i) => qtypes.add(pair.qtype || '(none)', i));
  return [...qtypes.map.entries()]
    .sort((a, b) => b[1].length - a[1].length || naturalOrder(a[0], b[0]))
    .map(([qtype, members]) => {
      const node = group(`q:${qtype}`, 'qtype', qtype, members);
      adopt(node, collectionGroups(pairs, members, `q:${qtype}/`));
      return node;
    });
}

function bySplit(pairs: readonly QaPair[], splitOf: (id: string) => string | undefined): GroupData[] {
  const splits = new Buckets();
  for (const name of ['train', 'validation', 'test']) splits.map.set(name, []);
  pairs.forEach((pair, i) => splits.add(splitOf(pair.id) ?? NOT_IN_SPLIT, i));
  return [...splits.map.entries()]
    .filter(([name, members]) => members.length > 0 || name !== NOT_IN_SPLIT)
    .map(([name, members]) => {
      const node = group(`s:${name}`, 'split', name, members);
      adopt(node, collectionGroups(pairs, members, `s:${name}/`));
      return node;
    });
}

export function buildGroupIndex(
  pairs: readonly QaPair[],
  grouping: Grouping,
  options: { splitOf?: (id: string) => string | undefined; pageSize?: number } = {},
): GroupIndex {
  const roots =
    grouping === 'collection'
      ? byCollection(pairs)
      : grouping === 'qtype'
        ? byQtype(pairs)
        : bySplit(pairs, options.splitOf ?? (() => undefined));
  const pageSize = options.pageSize ?? PAGE_SIZE;
  roots.forEach((root) => paginate(root, pageSize));
  const leafOf: (GroupData | undefined)[] = new Array(pairs.length);
  const visit = (node: GroupData): void => {
    node.groups?.forEach(visit);
    for (const i of node.pairs ?? []) leafOf[i] = node;
  };
  roots.forEach(visit);
  return { grouping, roots, leafOf };
}

/** The chain of groups from the root down to the group holding pair i. */
export function ancestry(index: GroupIndex, pairIndex: number): GroupData[] {
  const chain: GroupData[] = [];
  for (let node = index.leafOf[pairIndex]; node; node = node.parent) chain.unshift(node);
  return chain;
}
