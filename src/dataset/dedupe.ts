/**
 * Exact and near-duplicate detection for questions and answers.
 *
 * Exact: identical after normalizeText. Near: MinHash signatures over word shingles, LSH banding to find candidate
 * pairs, then the exact Jaccard of the shingle sets decides (so no false positives; recall depends on the banding,
 * tuned so that a pair at the threshold becomes a candidate with ≥ 99% probability). Matches are merged with
 * union-find, so a group is everything connected by "duplicate of" links; the split keeps each group together.
 */
import { jaccard, normalizeText, shingleHashes } from './normalize';
import { mulberry32 } from './random';

export interface DedupeOptions {
  /** Jaccard similarity of word shingles at or above which two texts are near-duplicates (default 0.8). */
  threshold?: number;
  /** Words per shingle (default 3: with 2, templated questions such as "what should i do if i forget a dose of
   * <drug>" reach 0.8 for every drug; with 3 only true rewordings do). */
  shingleSize?: number;
  /** MinHash signature length (default 128). */
  permutations?: number;
  /** Seed of the hash functions (default 1); results do not depend on it except through LSH misses. */
  seed?: number;
  /** Record every verified pair (slower: no union-find short cut); used to measure recall. */
  collectPairs?: boolean;
  signal?: AbortSignal;
}

export interface TextItem {
  id: string;
  text: string;
}

export interface DuplicateGroup {
  /** 'exact' when every member has the same normalised text, otherwise 'near'. */
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
  /** Distinct normalised texts. */
  distinct: number;
  /** Groups of 2+ items: exact and near links merged. Sorted by size, then first id. */
  groups: DuplicateGroup[];
  /** Items whose normalised text also appears on another item (count of members of exact groups beyond the first). */
  exactDuplicates: number;
  /** LSH candidate pairs checked and pairs found at or above the threshold (among distinct texts). */
  candidatesChecked: number;
  nearPairs: number;
  /** Only with collectPairs: every verified pair of distinct texts (indexes into the input) with its similarity. */
  pairs?: [number, number, number][];
}

/** Picks bands × rows ≤ permutations so that a pair at the threshold is a candidate with probability ≥ 0.99 and the
 * fewest unrelated pairs collide (largest rows satisfying that). */
export function chooseBanding(threshold: number, permutations: number): { bands: number; rows: number } {
  for (let rows = Math.min(permutations, 32); rows >= 1; rows--) {
    const bands = Math.floor(permutations / rows);
    const probability = 1 - Math.pow(1 - Math.pow(threshold, rows), bands);
    if (probability >= 0.99) return { bands, rows };
  }
  return { bands: permutations, rows: 1 };
}

class UnionFind {
  readonly parent: Int32Array;
  constructor(size: number) {
    this.parent = new Int32Array(size).map((_, i) => i);
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
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function signaturesMayMatch(
  signatures: Int32Array,
  i: number,
  j: number,
  permutations: number,
  maxMismatches: number,
): boolean {
  let mismatches = 0;
  const a = i * permutations;
  const b = j * permutations;
  for (let p = 0; p < permutations; p++) {
    if (signatures[a + p] !== signatures[b + p] && ++mismatches > maxMismatches) return false;
  }
  return true;
}

export function findDuplicates(items: readonly TextItem[], options: DedupeOptions = {}): DuplicateResult {
  const threshold = options.threshold ?? 0.8;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], got ${threshold}`);
  const shingleSize = options.shingleSize ?? 3;
  const permutations = options.permutations ?? 128;

  // 1. Distinct normalised texts: exact duplicates collapse onto one entry.
  const distinctIndex = new Map<string, number>();
  const distinctTexts: string[] = [];
  const members: number[][] = [];
  for (let i = 0; i < items.length; i++) {
    const normalized = normalizeText(items[i].text);
    if (normalized === '') continue;
    let index = distinctIndex.get(normalized);
    if (index === undefined) {
      index = distinctTexts.length;
      distinctIndex.set(normalized, index);
      distinctTexts.push(normalized);
      members.push([]);
    }
    members[index].push(i);
  }
  const n = distinctTexts.length;
  const unionFind = new UnionFind(n);
  const linkSimilarity = new Float64Array(n).fill(1);
  let candidatesChecked = 0;
  let nearPairs = 0;
  const pairs: [number, number, number][] | undefined = options.collectPairs ? [] : undefined;

  if (threshold < 1 && n > 1) {
    // 2. Shingles and MinHash signatures (n × permutations, row-major).
    const random = mulberry32(options.seed ?? 1);
    // Shingle hashes are already well mixed, so each "permutation" can be a cheap odd multiply-add (mod 2^32).
    // Everything stays int32 (signed) so V8 keeps it in registers; min over signed values is as good a min-hash.
    const multipliers = Int32Array.from(
      { length: permutations },
      () => Math.floor(random() * 2 ** 32) | 1 | 0,
    );
    const offsets = Int32Array.from({ length: permutations }, () => Math.floor(random() * 2 ** 32) | 0);
    const shingles: Uint32Array[] = new Array(n);
    const signatures = new Int32Array(n * permutations);
    const minima = new Int32Array(permutations);
    for (let d = 0; d < n; d++) {
      if (d % 4096 === 0) options.signal?.throwIfAborted();
      const set = (shingles[d] = shingleHashes(distinctTexts[d], shingleSize));
      const values = new Int32Array(set.buffer, set.byteOffset, set.length);
      minima.fill(0x7fffffff);
      for (let s = 0; s < values.length; s++) {
        const x = values[s];
        for (let p = 0; p < permutations; p++) {
          const h = (Math.imul(x, multipliers[p]) + offsets[p]) | 0;
          if (h < minima[p]) minima[p] = h;
        }
      }
      signatures.set(minima, d * permutations);
    }
    // 3. LSH: per band, sort documents by band key and verify every pair inside a run of equal keys.
    const { bands, rows } = chooseBanding(threshold, permutations);
    const keyed = new Float64Array(n);
    const maxMismatches = Math.floor((1 - Math.max(0, threshold - 0.15)) * permutations);
    for (let band = 0; band < bands; band++) {
      options.signal?.throwIfAborted();
      for (let d = 0; d < n; d++) {
        let key = 0x811c9dc5;
        const start = d * permutations + band * rows;
        for (let r = 0; r < rows; r++) key = Math.imul(key ^ signatures[start + r], 0x01000193) >>> 0;
        keyed[d] = key * 1048576 + d; // key in the high bits, document index (< 2^20) in the low bits
      }
      keyed.sort();
      for (let start = 0; start < n;) {
        const key = Math.floor(keyed[start] / 1048576);
        let end = start + 1;
        while (end < n && Math.floor(keyed[end] / 1048576) === key) end++;
        for (let a = start; a < end; a++) {
          const i = keyed[a] % 1048576;
          for (let b = a + 1; b < end; b++) {
            const j = keyed[b] % 1048576;
            if (!pairs && unionFind.find(i) === unionFind.find(j)) continue;
            // |A∩B|/|A∪B| ≤ min/max: sets of very different sizes can never reach the threshold.
            const li = shingles[i].length;
            const lj = shingles[j].length;
            if ((li < lj ? li : lj) < threshold * (li < lj ? lj : li)) continue;
            candidatesChecked++;
            // Cheap pre-check: the share of equal signature slots estimates Jaccard (sd ≈ 0.035 at 0.8 with 128
            // slots); for long texts only pairs within 0.15 of the threshold pay for the exact set comparison.
            const large = shingles[i].length + shingles[j].length > 2 * permutations;
            if (large && !signaturesMayMatch(signatures, i, j, permutations, maxMismatches)) continue;
            const similarity = jaccard(shingles[i], shingles[j]);
            if (similarity >= threshold) {
              nearPairs++;
              pairs?.push([Math.min(i, j), Math.max(i, j), similarity]);
              const ri = unionFind.find(i);
              const rj = unionFind.find(j);
              const low = Math.min(similarity, linkSimilarity[ri], linkSimilarity[rj]);
              unionFind.union(i, j);
              linkSimilarity[unionFind.find(i)] = low;
            }
          }
        }
        start = end;
      }
    }
    if (n >= 1048576)
      throw new Error('too many distinct texts for near-duplicate detection (limit 1,048,575)');
  }

  // 4. Components → groups of item ids.
  const byRoot = new Map<number, number[]>();
  for (let d = 0; d < n; d++) {
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
      similarity: distincts.length === 1 ? 1 : linkSimilarity[root],
      sample: distinctTexts[distincts[0]],
    });
  }
  groups.sort(
    (a, b) => b.ids.length - a.ids.length || (a.ids[0] < b.ids[0] ? -1 : a.ids[0] > b.ids[0] ? 1 : 0),
  );
  return {
    items: members.reduce((sum, list) => sum + list.length, 0),
    distinct: n,
    groups,
    exactDuplicates,
    candidatesChecked,
    nearPairs,
    ...(pairs
      ? { pairs: pairs.map(([i, j, s]) => [members[i][0], members[j][0], s] as [number, number, number]) }
      : {}),
  };
}

export interface DedupeReport {
  threshold: number;
  shingleSize: number;
  questions: DuplicateResult;
  answers: DuplicateResult;
}

/** Duplicates among questions and among (non-empty) answers of the given pairs (pass curated pairs to see edits). */
export function dedupePairs(
  pairs: readonly { id: string; question: string; answer: string }[],
  options: DedupeOptions = {},
): DedupeReport {
  const questions = findDuplicates(
    pairs.map((pair) => ({ id: pair.id, text: pair.question })),
    options,
  );
  const answers = findDuplicates(
    pairs.filter((pair) => pair.answer.trim() !== '').map((pair) => ({ id: pair.id, text: pair.answer })),
    options,
  );
  return { threshold: options.threshold ?? 0.8, shingleSize: options.shingleSize ?? 3, questions, answers };
}

/** Maps every id that belongs to a duplicate group onto the group's first id (what the split keeps together). */
export function groupKeys(result: DuplicateResult): Map<string, string> {
  const keys = new Map<string, string>();
  for (const group of result.groups) for (const id of group.ids) keys.set(id, group.ids[0]);
  return keys;
}
