import * as assert from 'node:assert/strict';
import {
  bootstrapMean,
  cohenKappa,
  fleissKappa,
  proportionInterval,
  spearman,
} from '../../../src/grading/agreement';

/** Expands a contingency table (rows: rater A's category, columns: rater B's) into paired ratings 1..k. */
function pairsFromTable(table: number[][]): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  table.forEach((row, i) =>
    row.forEach((count, j) => {
      for (let c = 0; c < count; c++) {
        a.push(i + 1);
        b.push(j + 1);
      }
    }),
  );
  return [a, b];
}

function near(actual: number | null, expected: number, tolerance: number): void {
  assert.ok(actual !== null, `expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) < tolerance, `expected ${expected} ± ${tolerance}, got ${actual}`);
}

describe('grading agreement statistics', () => {
  describe('cohenKappa', () => {
    it('is 1 for perfect agreement, unweighted and quadratic', () => {
      const ratings = [1, 2, 3, 4, 4, 2, 1, 3];
      assert.equal(cohenKappa(ratings, ratings, [1, 2, 3, 4]), 1);
      assert.equal(cohenKappa(ratings, ratings, [1, 2, 3, 4], 'quadratic'), 1);
    });

    it('is 0 when observed agreement equals chance agreement', () => {
      // A says yes on 10 of 20; B's 8 yes's split 4/4 over A's yes and no items: p_o = 10/20 = 0.5,
      // p_e = 0.5 * 0.4 + 0.5 * 0.6 = 0.5.
      const [a, b] = pairsFromTable([
        [4, 6],
        [4, 6],
      ]);
      near(cohenKappa(a, b, [1, 2]), 0, 1e-12);
    });

    it('gives 0.40 on the 50-item textbook example', () => {
      // p_o = (20 + 15) / 50 = 0.7; p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
      const [a, b] = pairsFromTable([
        [20, 5],
        [10, 15],
      ]);
      near(cohenKappa(a, b, [1, 2]), 0.4, 1e-9);
    });

    it('matches a hand-computed quadratic-weighted value on a 3-category table', () => {
      // Table [[3,1,0],[1,2,1],[0,0,2]], n = 10, row sums [4,4,2], column sums [4,3,3].
      // Quadratic disagreement weights: 0.25 one step apart, 1 two steps apart.
      // Observed: 0.25 * (1 + 1 + 1 + 0) + 1 * (0 + 0) = 0.75.
      // Expected (r_i c_j / n): one step 1.2 + 1.6 + 1.2 + 0.6 = 4.6 -> 1.15; two steps 1.2 + 0.8 = 2.0 -> 2.0.
      // kappa = 1 - 0.75 / 3.15 = 16/21 ≈ 0.7619. Unweighted: 1 - 3 / 6.6 = 6/11.
      const [a, b] = pairsFromTable([
        [3, 1, 0],
        [1, 2, 1],
        [0, 0, 2],
      ]);
      near(cohenKappa(a, b, [1, 2, 3], 'quadratic'), 16 / 21, 1e-9);
      near(cohenKappa(a, b, [1, 2, 3]), 6 / 11, 1e-9);
    });

    it('rates only-adjacent disagreements higher with quadratic weights than unweighted', () => {
      const a = [1, 2, 3, 4, 1, 2, 3, 4, 2, 3];
      const b = [1, 2, 3, 4, 2, 3, 4, 3, 2, 3];
      const unweighted = cohenKappa(a, b, [1, 2, 3, 4]);
      const quadratic = cohenKappa(a, b, [1, 2, 3, 4], 'quadratic');
      assert.ok(unweighted !== null && quadratic !== null);
      assert.ok(quadratic > unweighted, `quadratic ${quadratic} should exceed unweighted ${unweighted}`);
    });

    it('returns null for fewer than 2 items or when both raters use one identical category', () => {
      assert.equal(cohenKappa([2], [2], [1, 2, 3, 4]), null);
      assert.equal(cohenKappa([3, 3, 3], [3, 3, 3], [1, 2, 3, 4], 'linear'), null);
    });

    it('throws on length mismatch and on a rating outside the categories', () => {
      assert.throws(() => cohenKappa([1, 2], [1], [1, 2]), /length/);
      assert.throws(() => cohenKappa([1, 5], [1, 2], [1, 2, 3, 4]), /rating 5 is not one of/);
    });
  });

  describe('fleissKappa', () => {
    it('reproduces the published 10-item, 14-rater example (kappa ≈ 0.210)', () => {
      // Exact value: P̄ = 0.37802..., P_e = 0.21275..., kappa = 0.2099307...
      const kappa = fleissKappa([
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
      ]);
      near(kappa, 0.2099, 0.001);
      near(kappa, 0.2099307044, 1e-9);
    });

    it('is 1 when every item gets one category from all raters', () => {
      assert.equal(
        fleissKappa([
          [3, 0, 0, 0],
          [0, 3, 0, 0],
          [0, 0, 0, 3],
        ]),
        1,
      );
    });

    it('returns null with no items or when everyone always picks the same category', () => {
      assert.equal(fleissKappa([]), null);
      assert.equal(
        fleissKappa([
          [0, 4],
          [0, 4],
        ]),
        null,
      );
    });

    it('throws, naming the item, when rater counts differ', () => {
      assert.throws(
        () =>
          fleissKappa([
            [2, 1, 0],
            [1, 1, 1],
            [1, 1, 0],
          ]),
        /item 2/,
      );
      assert.throws(() => fleissKappa([[1, 0]]), /item 0/);
    });
  });

  describe('bootstrapMean', () => {
    const grades = [1, 2, 2, 3, 4, 4, 1, 3, 2, 4];

    it('gives the identical CI for the same seed', () => {
      const first = bootstrapMean(grades, { seed: 7 });
      assert.deepEqual(bootstrapMean(grades, { seed: 7 }), first);
      assert.deepEqual(bootstrapMean(grades), bootstrapMean(grades, { seed: 42, resamples: 2000 }));
      // Few resamples, so the seed visibly matters (with 2000 both seeds land on the same 0.1-grid percentiles).
      const few = (seed: number) => bootstrapMean(grades, { seed, resamples: 25 }).ci;
      assert.deepEqual(few(7), few(7));
      assert.notDeepEqual(few(8), few(7));
    });

    it('has a CI around the mean', () => {
      const result = bootstrapMean(grades);
      assert.equal(result.value, 2.6);
      assert.equal(result.n, 10);
      const [low, high] = result.ci;
      assert.ok(low !== null && high !== null);
      assert.ok(low < 2.6 && 2.6 < high, `CI [${low}, ${high}] should contain 2.6`);
      assert.ok(low >= 1 && high <= 4);
    });

    it('collapses to [v, v] for constant values', () => {
      assert.deepEqual(bootstrapMean([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]), {
        value: 0.1,
        ci: [0.1, 0.1],
        n: 6,
      });
    });

    it('has no value for no data and no CI for one value', () => {
      assert.deepEqual(bootstrapMean([]), { value: null, ci: [null, null], n: 0 });
      assert.deepEqual(bootstrapMean([3]), { value: 3, ci: [null, null], n: 1 });
    });
  });

  describe('proportionInterval', () => {
    it('stays within [0, 1] at 0 and n successes', () => {
      assert.deepEqual(proportionInterval(0, 10).ci[0], 0);
      assert.deepEqual(proportionInterval(10, 10).ci[1], 1);
      for (const successes of [0, 10]) {
        const [low, high] = proportionInterval(successes, 10).ci;
        assert.ok(low !== null && high !== null && low >= 0 && high <= 1 && low < high);
      }
    });

    it('matches the Wilson interval for 8/10 at 95%', () => {
      // z = 1.95996, z²/n = 0.38415: centre = (0.8 + 0.19207) / 1.38415 = 0.71674,
      // half = (1.95996 / 1.38415) * sqrt(0.016 + 0.0096036) = 0.22658 -> [0.4902, 0.9433].
      const result = proportionInterval(8, 10);
      assert.equal(result.value, 0.8);
      near(result.ci[0], 0.4902, 1e-3);
      near(result.ci[1], 0.9433, 1e-3);
    });

    it('accepts fractional successes and returns null for n = 0', () => {
      const half = proportionInterval(6.5, 10);
      assert.equal(half.value, 0.65);
      const [low, high] = half.ci;
      assert.ok(low !== null && high !== null && low < 0.65 && 0.65 < high);
      assert.deepEqual(proportionInterval(0, 0), { value: null, ci: [null, null], n: 0 });
      assert.throws(() => proportionInterval(11, 10), /successes/);
    });
  });

  describe('spearman', () => {
    it('is 1 for a monotone nonlinear relation and -1 when reversed', () => {
      const x = [1, 2, 3, 4, 5, 6];
      const cubed = x.map((v) => v ** 3);
      assert.equal(spearman(x, cubed), 1);
      assert.equal(spearman(x, [...cubed].reverse()), -1);
    });

    it('uses average ranks for ties', () => {
      // x ranks [1, 2.5, 2.5, 4], y ranks [1, 3, 2, 4]; deviations from 2.5: dx [-1.5, 0, 0, 1.5],
      // dy [-1.5, 0.5, -0.5, 1.5]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 -> rho = 4.5 / sqrt(22.5) = sqrt(0.9).
      near(spearman([1, 2, 2, 3], [1, 3, 2, 4]), Math.sqrt(0.9), 1e-12);
    });

    it('returns null for n < 3 or a constant side, and throws on length mismatch', () => {
      assert.equal(spearman([1, 2], [2, 1]), null);
      assert.equal(spearman([1, 2, 3], [2, 2, 2]), null);
      assert.throws(() => spearman([1, 2, 3], [1, 2]), /length/);
    });
  });
});
