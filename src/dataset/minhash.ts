/**
 * Near-duplicate candidates among many texts without a subject to group them by: MinHash signatures over word
 * shingles and LSH banding, tuned so that a pair at the threshold becomes a candidate with ≥ 99% probability; the
 * exact Jaccard of the shingle sets decides, so there are no false positives and recall depends on the banding.
 */
import { jaccard } from './normalize';
import { mulberry32 } from './random';

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

/** Default boilerplate cut-off: a shingle in more than 1 of 1,000 texts (at least 10) is shared wording. */
export function defaultMaxDocumentFrequency(texts: number): number {
  return Math.max(10, Math.ceil(texts / 1000));
}

/** Every shingle found in more than `maxDocumentFrequency` of the sets, with the number of sets it is in. */
export function commonShingles(
  sets: readonly Uint32Array[],
  maxDocumentFrequency: number,
): Map<number, number> {
  const all = new Uint32Array(sets.reduce((sum, set) => sum + set.length, 0));
  let offset = 0;
  for (const set of sets) {
    all.set(set, offset);
    offset += set.length;
  }
  all.sort();
  const common = new Map<number, number>();
  for (let start = 0; start < all.length;) {
    let end = start + 1;
    while (end < all.length && all[end] === all[start]) end++;
    if (end - start > maxDocumentFrequency) common.set(all[start], end - start);
    start = end;
  }
  return common;
}

/** The shingle sets without boilerplate: shingles in more than `maxDocumentFrequency` sets are dropped. */
export function informativeShingles(
  sets: readonly Uint32Array[],
  maxDocumentFrequency: number,
): Uint32Array[] {
  const common = commonShingles(sets, maxDocumentFrequency);
  return common.size === 0 ? [...sets] : sets.map((set) => set.filter((hash) => !common.has(hash)));
}

export interface LshOptions {
  permutations: number;
  seed: number;
  signal?: AbortSignal;
  /** Pairs to leave out before any set comparison (already linked, or never allowed to be). */
  skip: (i: number, j: number) => boolean;
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

/**
 * Calls `found(i, j, similarity)` for every pair of non-empty sets whose exact Jaccard similarity reaches the
 * threshold, among the pairs that LSH makes candidates (a pair may be reported once per band it collides in).
 * Returns the number of candidate pairs compared.
 */
export function lshPairs(
  sets: readonly Uint32Array[],
  threshold: number,
  options: LshOptions,
  found: (i: number, j: number, similarity: number) => void,
): number {
  const { permutations } = options;
  const n = sets.length;
  if (n >= 1048576) throw new Error('too many distinct texts for duplicate detection (limit 1,048,575)');
  const random = mulberry32(options.seed);
  // Shingle hashes are already well mixed, so each "permutation" can be a cheap odd multiply-add (mod 2^32).
  // Everything stays int32 (signed) so V8 keeps it in registers; min over signed values is as good a min-hash.
  const multipliers = Int32Array.from({ length: permutations }, () => Math.floor(random() * 2 ** 32) | 1 | 0);
  const offsets = Int32Array.from({ length: permutations }, () => Math.floor(random() * 2 ** 32) | 0);
  const signatures = new Int32Array(n * permutations);
  const minima = new Int32Array(permutations);
  for (let d = 0; d < n; d++) {
    if (d % 4096 === 0) options.signal?.throwIfAborted();
    const values = new Int32Array(sets[d].buffer, sets[d].byteOffset, sets[d].length);
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
  // Per band, sort the texts by band key and compare every pair inside a run of equal keys. Empty sets (texts that
  // are all boilerplate) take no part.
  const { bands, rows } = chooseBanding(threshold, permutations);
  const active = sets.flatMap((set, d) => (set.length > 0 ? [d] : []));
  const keyed = new Float64Array(active.length);
  const maxMismatches = Math.floor((1 - Math.max(0, threshold - 0.15)) * permutations);
  let compared = 0;
  for (let band = 0; band < bands; band++) {
    options.signal?.throwIfAborted();
    active.forEach((d, a) => {
      let key = 0x811c9dc5;
      const start = d * permutations + band * rows;
      for (let r = 0; r < rows; r++) key = Math.imul(key ^ signatures[start + r], 0x01000193) >>> 0;
      keyed[a] = key * 1048576 + d; // key in the high bits, text index (< 2^20) in the low bits
    });
    keyed.sort();
    for (let start = 0; start < keyed.length;) {
      const key = Math.floor(keyed[start] / 1048576);
      let end = start + 1;
      while (end < keyed.length && Math.floor(keyed[end] / 1048576) === key) end++;
      for (let a = start; a < end; a++) {
        const i = keyed[a] % 1048576;
        for (let b = a + 1; b < end; b++) {
          const j = keyed[b] % 1048576;
          if (options.skip(i, j)) continue;
          // |A∩B|/|A∪B| ≤ min/max: sets of very different sizes can never reach the threshold.
          const li = sets[i].length;
          const lj = sets[j].length;
          if ((li < lj ? li : lj) < threshold * (li < lj ? lj : li)) continue;
          compared++;
          // Cheap pre-check: the share of equal signature slots estimates Jaccard (sd ≈ 0.035 at 0.8 with 128
          // slots); for long texts only pairs within 0.15 of the threshold pay for the exact set comparison.
          if (
            li + lj > 2 * permutations &&
            !signaturesMayMatch(signatures, i, j, permutations, maxMismatches)
          )
            continue;
          const similarity = jaccard(sets[i], sets[j]);
          if (similarity >= threshold) found(i, j, similarity);
        }
      }
      start = end;
    }
  }
  return compared;
}
