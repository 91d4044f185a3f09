/**
 * Picks the next token from one position's logits: argmax when greedy (the lowest id on a tie, as numpy and torch
 * do, so greedy ids equal the Python side's), else temperature, nucleus (top-p) cut and one draw from a seeded
 * generator. No vscode import.
 */
import seedrandom from 'seedrandom';

export interface SamplingSettings {
  /** 0 = greedy. */
  temperature: number;
  topP: number;
}

/** A uniform draw in [0, 1). */
export type Uniform = () => number;

/** Seeded when a seed is given (same seed, same draws), else from the system's entropy. */
export function uniformSource(seed: number | undefined): Uniform {
  return seed === undefined ? seedrandom() : seedrandom(`medqa:${seed}`);
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export function pickToken(logits: ArrayLike<number>, settings: SamplingSettings, uniform: Uniform): number {
  if (settings.temperature === 0) return argmax(logits);
  const probabilities = softmax(logits, settings.temperature);
  const floor = settings.topP < 1 ? nucleusFloor(probabilities, settings.topP) : 0;
  let kept = 0;
  for (const p of probabilities) if (p >= floor) kept += p;
  let draw = uniform() * kept;
  let last = -1;
  for (let i = 0; i < probabilities.length; i++) {
    if (probabilities[i] < floor) continue;
    last = i;
    draw -= probabilities[i];
    if (draw < 0) return i;
  }
  // Rounding left a sliver of `draw`: the last kept token takes it.
  return last;
}

function softmax(logits: ArrayLike<number>, temperature: number): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] - max) / temperature);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * The probability of the last token in the nucleus: the smallest set of most likely tokens whose probabilities add
 * up to `topP` (the token that crosses `topP` included, as transformers does). A native sort of a copy, not of
 * index pairs: tens of thousands of entries per step.
 */
function nucleusFloor(probabilities: Float64Array, topP: number): number {
  const sorted = Float64Array.from(probabilities).sort().reverse();
  let sum = 0;
  for (const p of sorted) {
    sum += p;
    if (sum >= topP) return p;
  }
  return sorted[sorted.length - 1];
}
