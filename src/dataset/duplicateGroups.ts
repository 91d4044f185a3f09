/**
 * Duplicate groups from links between distinct texts: texts with the same compact key are one distinct text, links
 * between distinct texts are merged with union-find, and each component of two or more items is a group.
 */
import { compactKey, normalizeText } from './normalize';

export interface DuplicateGroup {
  /** 'exact' when every member has the same compact key, otherwise 'near'. */
  kind: 'exact' | 'near';
  ids: string[];
  /** Lowest verified similarity that linked the group (1 for exact groups). */
  similarity: number;
  /** The normalised text of the first member, for display. */
  sample: string;
}

export interface DuplicateResult {
  /** Items considered (non-empty texts). */
  items: number;
  /** Distinct texts (distinct compact keys; for texts with a subject, per subject). */
  distinct: number;
  /** Groups of 2+ items: exact and near links merged. Sorted by size, then first id. */
  groups: DuplicateGroup[];
  /** Items whose text also appears on another item (count of members of exact groups beyond the first). */
  exactDuplicates: number;
  /** Candidate pairs compared and pairs found at or above the threshold (among distinct texts). */
  candidatesChecked: number;
  nearPairs: number;
  /** Only with collectPairs: every verified pair of distinct texts (indexes into the input) with its similarity. */
  pairs?: [number, number, number][];
}

/** Components of "duplicate of" links between distinct texts, with the lowest link similarity of each. */
export class UnionFind {
  readonly parent: Int32Array;
  /** Lowest link similarity inside each root's component. */
  readonly low: Float64Array;
  constructor(size: number) {
    this.parent = new Int32Array(size).map((_, i) => i);
    this.low = new Float64Array(size).fill(1);
  }
  find(x: number): number {
    let root = x;
    while (this.parent[root] !== root) root = this.parent[root];
    while (this.parent[x] !== root) {
      const next = this.parent[x];
      this.parent[x] = root;
      x = next;
    }
    return root;
  }
  union(a: number, b: number, similarity: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    const low = Math.min(similarity, this.low[ra], this.low[rb]);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
    this.low[Math.min(ra, rb)] = low;
  }
}

/**
 * Distinct texts by compact key (per subject, where `bySubject`): `members[d]` lists the items (input indexes) whose
 * text is distinct text `d`.
 */
export function distinctTexts(
  items: readonly { text: string; about?: { keys: readonly string[] } }[],
  bySubject = false,
): number[][] {
  const index = new Map<string, number>();
  const members: number[][] = [];
  items.forEach((item, i) => {
    let key = compactKey(item.text);
    if (key === '') return;
    if (bySubject) key += `\u0000${item.about?.keys[0] ?? ''}`;
    let d = index.get(key);
    if (d === undefined) {
      index.set(key, (d = members.length));
      members.push([]);
    }
    members[d].push(i);
  });
  return members;
}

/** Components → groups of item ids, largest first. */
export function collect(
  items: readonly { id: string; text: string }[],
  members: number[][],
  unionFind: UnionFind,
  counts: { candidatesChecked: number; nearPairs: number; pairs?: [number, number, number][] },
): DuplicateResult {
  const byRoot = new Map<number, number[]>();
  for (let d = 0; d < members.length; d++) {
    const root = unionFind.find(d);
    const list = byRoot.get(root);
    if (list) list.push(d);
    else byRoot.set(root, [d]);
  }
  const groups: DuplicateGroup[] = [];
  let exactDuplicates = 0;
  for (const [root, distincts] of byRoot) {
    const indexes = distincts.flatMap((d) => members[d]);
    for (const d of distincts) exactDuplicates += members[d].length - 1;
    if (indexes.length < 2) continue;
    indexes.sort((a, b) => a - b);
    groups.push({
      kind: distincts.length === 1 ? 'exact' : 'near',
      ids: indexes.map((i) => items[i].id),
      similarity: distincts.length === 1 ? 1 : unionFind.low[root],
      sample: normalizeText(items[members[distincts[0]][0]].text),
    });
  }
  groups.sort(
    (a, b) => b.ids.length - a.ids.length || (a.ids[0] < b.ids[0] ? -1 : a.ids[0] > b.ids[0] ? 1 : 0),
  );
  const { pairs, ...rest } = counts;
  return {
    items: members.reduce((sum, list) => sum + list.length, 0),
    distinct: members.length,
    groups,
    exactDuplicates,
    ...rest,
    ...(pairs
      ? { pairs: pairs.map(([i, j, s]) => [members[i][0], members[j][0], s] as [number, number, number]) }
      : {}),
  };
}
