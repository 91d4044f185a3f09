/** Parses the "Create Split…" input box. Pure. */
import { parseRatios } from '../split';

/** "seed 7, ratios 80,10,10" (order and words optional: the first number is the seed, the next three the ratios). */
export function parseSplitInput(text: string): { seed: number; ratios: [number, number, number] } {
  const numbers = text.match(/-?\d+(?:\.\d+)?/g)?.map(Number) ?? [];
  if (numbers.length !== 4) throw new Error('Give a seed and three ratios, e.g. "seed 42, ratios 81,9,10".');
  const [seed, ...ratios] = numbers;
  if (!Number.isInteger(seed)) throw new Error('The seed must be a whole number.');
  return { seed, ratios: parseRatios(ratios.join(',')) };
}
