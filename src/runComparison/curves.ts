/**
 * The numbers behind the comparison chart and table, computed on a run's full logged steps: smoothing, the
 * tokens-seen axis, evaluation points placed on the epoch or tokens axis, medians. Pure functions.
 */
import type { StepPoint } from '../runs/runState';

/**
 * Exponential moving average with bias correction (TensorBoard's smoothing): `weight` 0 returns the values,
 * 0.99 follows the trend of about the last hundred points. The first points are not pulled towards zero.
 */
export function ema(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let debias = 1;
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) {
      out[i] = seen > 0 ? last / (1 - debias) : NaN;
      continue;
    }
    last = last * w + (1 - w) * value;
    debias *= w;
    seen++;
    out[i] = w === 0 ? value : last / (1 - debias);
  }
  return out;
}

/** Cumulative tokens seen at each logged step, or why they cannot be estimated. */
export type TokensSeen = { tokens: Float64Array } | { reason: string };

/** Why tokens seen cannot be estimated for these steps, or null when they can (cheap: stops at the first proof). */
export function tokensSeenUnavailable(steps: readonly StepPoint[]): string | null {
  if (steps.length === 0) return 'no logged steps yet';
  let rated = false;
  let timed = false;
  for (let i = 0; i < steps.length && !(rated && timed); i++) {
    const rate = steps[i].tokensPerSecond;
    if (rate !== null && Number.isFinite(rate) && rate > 0) rated = true;
    if (i > 0 && steps[i].time > steps[i - 1].time) timed = true;
  }
  if (!rated) return 'its steps log no tokens/s';
  return timed || steps.length === 1 ? null : 'its steps carry no usable times';
}

/**
 * The events carry tokens per second (over the interval since the previous logged step), not a token count, so
 * tokens seen are estimated as the sum of tokens/s × the wall time between logged steps. Wall time includes pauses
 * for evaluation and saving, which makes the estimate run a little ahead. The first interval (model loading
 * precedes it) is given the pace of the second; a step without tokens/s takes its neighbour's.
 */
export function tokensSeen(steps: readonly StepPoint[], startedAt?: number): TokensSeen {
  const unavailable = tokensSeenUnavailable(steps);
  if (unavailable) return { reason: unavailable };
  let rate = 0;
  for (const step of steps) {
    if (step.tokensPerSecond !== null && Number.isFinite(step.tokensPerSecond)) {
      rate = step.tokensPerSecond;
      break;
    }
  }
  const tokens = new Float64Array(steps.length);
  let total = 0;
  for (let i = 0; i < steps.length; i++) {
    const r = steps[i].tokensPerSecond;
    if (r !== null && Number.isFinite(r)) rate = r;
    total += rate * Math.max(0, secondsBefore(steps, i, startedAt));
    tokens[i] = total;
  }
  if (!(total > 0)) return { reason: 'its steps carry no usable times' };
  return { tokens };
}

/** Seconds of training between logged step i−1 and i (for the first: estimated, see tokensSeen). */
function secondsBefore(steps: readonly StepPoint[], i: number, startedAt?: number): number {
  if (i > 0) return (steps[i].time - steps[i - 1].time) / 1000;
  const [first, second] = steps;
  if (second && second.step > first.step && second.time > first.time) {
    return (((second.time - first.time) / 1000) * first.step) / (second.step - first.step);
  }
  return startedAt !== undefined && first.time > startedAt ? (first.time - startedAt) / 1000 : 0;
}

/**
 * A per-step quantity (epoch, tokens seen) at `step`, from the logged steps: exact on a logged step, linear
 * between two, proportional to the step before the first or after the last. Undefined without logged steps.
 */
export function valueAtStep(
  stepNumbers: ArrayLike<number>,
  values: ArrayLike<number>,
  step: number,
): number | undefined {
  const n = stepNumbers.length;
  if (n === 0) return undefined;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (stepNumbers[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo < n && stepNumbers[lo] === step) return values[lo];
  if (lo === 0) return stepNumbers[0] > 0 ? (values[0] * step) / stepNumbers[0] : values[0];
  if (lo === n) return stepNumbers[n - 1] > 0 ? (values[n - 1] * step) / stepNumbers[n - 1] : values[n - 1];
  const [s0, s1] = [stepNumbers[lo - 1], stepNumbers[lo]];
  const [v0, v1] = [values[lo - 1], values[lo]];
  return v0 + ((v1 - v0) * (step - s0)) / (s1 - s0);
}

/** Median of the finite values (by selection, O(n): a 50,000-step run is measured on every update); null when none. */
export function median(values: Iterable<number | null>): number | null {
  const finite: number[] = [];
  for (const value of values) if (value !== null && Number.isFinite(value)) finite.push(value);
  return medianInPlace(finite, finite.length);
}

/** Median of the first `n` entries of `values` (all finite), reordering them; null when n is 0. */
export function medianInPlace(values: number[] | Float64Array, n: number): number | null {
  if (n === 0) return null;
  const upper = select(values, n, n >> 1);
  return n % 2 ? upper : (upper + select(values, n, (n >> 1) - 1)) / 2;
}

/** The k-th smallest of the first `n` values (Hoare's selection; reorders them). */
function select(values: number[] | Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        [values[i], values[j]] = [values[j], values[i]];
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}
