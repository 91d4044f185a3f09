import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { argmax, pickToken, uniformSource } from '../../../src/inference/sampling';

const logitsArb = fc
  .array(fc.float({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }), {
    minLength: 1,
    maxLength: 60,
  })
  .map((values) => Float32Array.from(values));

/** A stand-in for the generator that returns the given draws in turn. */
function draws(...values: number[]): () => number {
  let next = 0;
  return () => values[next++ % values.length];
}

describe('token sampling', () => {
  it('greedy picks the highest logit, the lowest id on a tie (as numpy and torch argmax)', () => {
    assert.equal(pickToken(Float32Array.from([0.5, 3, 1, 3]), { temperature: 0, topP: 1 }, draws(0)), 1);
    fc.assert(
      fc.property(logitsArb, (logits) => {
        const picked = pickToken(logits, { temperature: 0, topP: 0.5 }, draws(0.99));
        assert.equal(picked, argmax(logits));
        assert.ok(
          logits.every((value, i) => value < logits[picked] || (value === logits[picked] && i >= picked)),
        );
      }),
    );
  });

  it('samples only inside the nucleus: the most likely tokens whose probabilities first reach top-p', () => {
    // Probabilities 0.5, 0.3, 0.2 at temperature 1: top-p 0.6 keeps the first two (0.5 alone is short of 0.6).
    const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) seen.add(pickToken(logits, { temperature: 1, topP: 0.6 }, draws(i / 100)));
    assert.deepEqual([...seen].sort(), [0, 1]);
    // A draw in the first 5/8 of the kept mass is token 0, the rest token 1.
    assert.equal(pickToken(logits, { temperature: 1, topP: 0.6 }, draws(0.6)), 0);
    assert.equal(pickToken(logits, { temperature: 1, topP: 0.6 }, draws(0.65)), 1);
    fc.assert(
      fc.property(
        logitsArb,
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (logits, topP, u) => {
          const picked = pickToken(logits, { temperature: 0.7, topP }, draws(u));
          // The oracle: rank tokens by logit; the nucleus is the ranks up to the one where the mass reaches top-p
          // (a hair above it: summing in another order may round the crossing one token later, never earlier).
          const weights = Array.from(logits, (value) => Math.exp((value - Math.max(...logits)) / 0.7));
          const total = weights.reduce((a, b) => a + b);
          const ranked = weights.map((w, i) => [w / total, i] as const).sort((a, b) => b[0] - a[0]);
          let mass = 0;
          const cut = ranked.findIndex(([p]) => (mass += p) >= Math.min(1, topP + 1e-9));
          const floor = ranked[cut === -1 ? ranked.length - 1 : cut][0];
          assert.ok(weights[picked] / total >= floor - 1e-9, `token ${picked} is outside the nucleus`);
        },
      ),
      // Shrinking float arrays took minutes: report the first counterexample as found.
      { endOnFailure: true },
    );
  });

  it('follows the temperature-scaled distribution', () => {
    const logits = Float32Array.from([2, 1, 0]);
    const uniform = uniformSource(11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[pickToken(logits, { temperature: 2, topP: 1 }, uniform)]++;
    const weights = [1, Math.exp(-0.5), Math.exp(-1)];
    const total = weights.reduce((a, b) => a + b);
    weights.forEach((weight, i) =>
      assert.ok(Math.abs(counts[i] / 20000 - weight / total) < 0.015, `${counts}`),
    );
  });

  it('a seed gives the same draws every time, another seed others', () => {
    const take = (seed: number) => Array.from({ length: 8 }, uniformSource(seed));
    assert.deepEqual(take(7), take(7));
    assert.notDeepEqual(take(7), take(8));
    assert.ok(take(3).every((u) => u >= 0 && u < 1));
  });
});
