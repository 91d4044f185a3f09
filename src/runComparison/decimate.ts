/**
 * Min/max-preserving decimation for drawing long curves: a 50,000-step loss curve is drawn on a few hundred pixels,
 * so each of B buckets of consecutive points keeps only its first, last, lowest and highest point. Spikes and dips
 * survive (an average would hide them) and every kept point is a real logged value, so hovering it is exact.
 * The full data stays with the host for zoomed-in views and exports.
 */

/** Buckets a curve is cut into for display (up to four points each). */
export const DEFAULT_BUCKETS = 300;

/**
 * Indices (ascending, unique) of the points to draw from `y[from..to)`: all of them when there are at most four
 * per bucket, else per bucket the first, the last, the minimum and the maximum. Non-finite values are never the
 * minimum or maximum.
 */
export function decimateIndices(
  y: ArrayLike<number>,
  buckets = DEFAULT_BUCKETS,
  from = 0,
  to = y.length,
): number[] {
  const n = to - from;
  if (n <= 0) return [];
  if (buckets < 1 || n <= buckets * 4) return Array.from({ length: n }, (_, i) => from + i);
  const kept: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = from + Math.floor((b * n) / buckets);
    const end = from + Math.floor(((b + 1) * n) / buckets);
    if (end <= start) continue;
    let min = -1;
    let max = -1;
    for (let i = start; i < end; i++) {
      const value = y[i];
      if (!Number.isFinite(value)) continue;
      if (min < 0 || value < y[min]) min = i;
      if (max < 0 || value > y[max]) max = i;
    }
    // In index order, without repeats (first/last may be the min or max).
    const picks = [start, min, max, end - 1].filter((i) => i >= 0).sort((a, b) => a - b);
    for (const i of picks) if (kept[kept.length - 1] !== i) kept.push(i);
  }
  return kept;
}

/** First index whose x is > value (`strict`) or ≥ value in an ascending array; x.length when none. */
export function searchSorted(x: ArrayLike<number>, value: number, strict = false): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < value || (strict && x[mid] === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The index span `[from, to)` of the points inside `[min, max]` of an ascending x, widened by one point on each
 * side so that a zoomed-in line still runs to the chart's edges.
 */
export function rangeIndices(
  x: ArrayLike<number>,
  range: readonly [number, number] | null,
): [number, number] {
  if (!range) return [0, x.length];
  const [min, max] = range[0] <= range[1] ? range : [range[1], range[0]];
  const from = Math.max(0, searchSorted(x, min) - 1);
  const to = Math.min(x.length, searchSorted(x, max, true) + 1);
  return [from, Math.max(from, to)];
}
