/**
 * Statistics for human grades of model answers (1..4 ordinal scale): means and rates with intervals, and
 * inter-rater agreement. Pure and deterministic (seeded bootstrap) so a report is reproducible.
 */
import { mulberry32 } from '../dataset/random';

export interface Interval {
  value: number | null;
  ci: [number | null, number | null];
  n: number;
}

export type KappaWeights = 'none' | 'linear' | 'quadratic';

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new Error(`confidence level must be between 0 and 1, got ${level}`);
}

function checkFinite(values: readonly number[], what: string): void {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${what}[${i}] is not a finite number: ${v}`);
  });
}

function checkSameLength(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new Error(`paired inputs differ in length: ${a.length} vs ${b.length}`);
}

/** Standard normal CDF by Simpson's rule on the density: plenty accurate here and needs no special functions. */
function normalCdf(z: number): number {
  const steps = 1000;
  const h = z / steps;
  const density = (t: number) => Math.exp((-t * t) / 2);
  let sum = density(0) + density(z);
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * density(i * h);
  return 0.5 + ((sum * h) / 3) * (1 / Math.sqrt(2 * Math.PI));
}

const zCache = new Map<number, number>();

/** Two-sided critical value z with P(|Z| <= z) = level, by bisection (memoised: callers reuse a few levels). */
function zFor(level: number): number {
  const cached = zCache.get(level);
  if (cached !== undefined) return cached;
  const target = (1 + level) / 2;
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < target) lo = mid;
    else hi = mid;
  }
  const z = (lo + hi) / 2;
  zCache.set(level, z);
  return z;
}

/** Linear-interpolation quantile of sorted data (the common "type 7" definition). */
function quantile(sorted: readonly number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const low = Math.floor(pos);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (pos - low) * (sorted[high] - sorted[low]);
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Mean with a seeded percentile bootstrap 95% CI (default 2000 resamples, seed 42). n<1 -> value null, ci [null,null]; n==1 -> ci [null,null]. */
export function bootstrapMean(
  values: readonly number[],
  options: { resamples?: number; seed?: number; level?: number } = {},
): Interval {
  const { resamples = 2000, seed = 42, level = 0.95 } = options;
  checkLevel(level);
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`resamples must be a positive integer`);
  checkFinite(values, 'values');
  const n = values.length;
  if (n === 0) return { value: null, ci: [null, null], n };
  const value = mean(values);
  if (n === 1) return { value, ci: [null, null], n };
  // Summing n copies of v need not give back v exactly in floating point; a constant sample has no spread.
  if (values.every((v) => v === values[0])) return { value: values[0], ci: [values[0], values[0]], n };
  const random = mulberry32(seed);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)];
    means.push(sum / n);
  }
  means.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return { value, ci: [quantile(means, tail), quantile(means, 1 - tail)], n };
}

/** Share of `true` with a Wilson score 95% interval (used for preference rate). Ties are the caller's business. successes may be fractional (ties counted as 0.5) – handle that. n=0 -> null. */
export function proportionInterval(successes: number, n: number, level = 0.95): Interval {
  checkLevel(level);
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${n}`);
  // Fractional successes are fine (half-credit ties); Wilson's formula only needs p = successes / n.
  if (!Number.isFinite(successes) || successes < 0 || successes > n) {
    throw new Error(`successes must be between 0 and n (${n}), got ${successes}`);
  }
  if (n === 0) return { value: null, ci: [null, null], n };
  const p = successes / n;
  const z = zFor(level);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At p = 0 or 1 the bound is exactly 0 or 1 mathematically; rounding would leave it a hair off (or outside).
  const lower = successes === 0 ? 0 : Math.max(0, centre - half);
  const upper = successes === n ? 1 : Math.min(1, centre + half);
  return { value: p, ci: [lower, upper], n };
}

/**
 * Cohen's kappa between two raters on paired ratings of the same items, categories given (e.g. [1,2,3,4]).
 * Weights use the categories' positions in `categories` (so the scale is treated as ordinal and evenly spaced):
 * linear |i-j|/(k-1), quadratic ((i-j)/(k-1))^2, none 0 on the diagonal and 1 elsewhere.
 * kappa = 1 - observed weighted disagreement / chance-expected weighted disagreement.
 * Returns null when fewer than 2 items, or when expected disagreement is 0: that only happens when both raters used
 * one single identical category, where agreement beyond chance is undefined (0/0) rather than perfect.
 */
export function cohenKappa(
  a: readonly number[],
  b: readonly number[],
  categories: readonly number[],
  weights: KappaWeights = 'none',
): number | null {
  checkSameLength(a, b);
  if (categories.length === 0) throw new Error('categories must not be empty');
  const index = new Map<number, number>();
  categories.forEach((c, i) => {
    if (index.has(c)) throw new Error(`category ${c} is listed twice`);
    index.set(c, i);
  });
  const k = categories.length;
  const table = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const positionOf = (rating: number, rater: string, item: number): number => {
    const position = index.get(rating);
    if (position === undefined) {
      throw new Error(
        `rater ${rater}, item ${item}: rating ${rating} is not one of [${categories.join(', ')}]`,
      );
    }
    return position;
  };
  for (let i = 0; i < a.length; i++) table[positionOf(a[i], 'a', i)][positionOf(b[i], 'b', i)] += 1;
  const n = a.length;
  if (n < 2) return null;
  const span = Math.max(k - 1, 1);
  const weight = (i: number, j: number): number => {
    if (weights === 'linear') return Math.abs(i - j) / span;
    if (weights === 'quadratic') return ((i - j) / span) ** 2;
    return i === j ? 0 : 1;
  };
  const rows = table.map((row) => row.reduce((s, v) => s + v, 0));
  const cols = categories.map((_, j) => table.reduce((s, row) => s + row[j], 0));
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weight(i, j);
      observed += w * table[i][j];
      expected += (w * rows[i] * cols[j]) / n;
    }
  }
  if (expected === 0) return null;
  return 1 - observed / expected;
}

/** Fleiss' kappa. `counts[i][j]` = raters who put item i in category j; every item must have the same number of raters (>=2), else throw an Error naming the item index. Null when <1 item or P_e == 1. */
export function fleissKappa(counts: readonly (readonly number[])[]): number | null {
  const items = counts.length;
  if (items === 0) return null;
  const k = counts[0].length;
  const raters = counts[0].reduce((s, v) => s + v, 0);
  counts.forEach((row, i) => {
    if (row.length !== k) throw new Error(`item ${i} has ${row.length} categories, expected ${k}`);
    if (row.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new Error(`item ${i}: counts must be non-negative integers`);
    }
    const total = row.reduce((s, v) => s + v, 0);
    if (total < 2)
      throw new Error(`item ${i} has ${total} rater(s); Fleiss' kappa needs at least 2 per item`);
    if (total !== raters) throw new Error(`item ${i} has ${total} raters, but item 0 has ${raters}`);
  });
  // P_i: share of agreeing rater pairs on item i; P_e: chance agreement from the pooled category shares.
  const agreement =
    counts.reduce((s, row) => s + row.reduce((t, v) => t + v * (v - 1), 0), 0) /
    (items * raters * (raters - 1));
  let chance = 0;
  for (let j = 0; j < k; j++) {
    const share = counts.reduce((s, row) => s + row[j], 0) / (items * raters);
    chance += share * share;
  }
  // Everyone used one category everywhere: kappa is 0/0, so report no value rather than a fake 1.
  if (1 - chance <= 1e-12) return null;
  return (agreement - chance) / (1 - chance);
}

/** Ranks starting at 1; tied values share the average of the ranks they span. */
function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation (average ranks for ties; Pearson on ranks). null when n<3 or a side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  checkSameLength(x, y);
  checkFinite(x, 'x');
  checkFinite(y, 'y');
  if (x.length < 3) return null;
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return null;
  // Clamp rounding just past ±1 (e.g. 1.0000000000000002) so callers can trust the range.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
