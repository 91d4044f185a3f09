/**
 * The hostile run artefacts fuzz, reduced (the same seed), so every unit run exercises it; the full run is
 * `npm run fuzz` (test/fuzz/hostileRuns.fuzz.ts), which adds huge histories (test/unit/runs/hfRunHostile.test.ts
 * reads a 200,000-entry one in every unit run).
 */
import fc from 'fast-check';
import { exportLinksProperty, HOSTILE_SEED, trainerStateProperty } from '../../fuzz/hostileRunInputs';

describe(`hostile run artefacts fuzz, reduced (seed ${HOSTILE_SEED})`, function () {
  this.timeout(60_000);

  it('trainer_state.json with NaN / Infinity, strings and torn ends: 300 inputs', () => {
    fc.assert(trainerStateProperty, { numRuns: 300, seed: HOSTILE_SEED });
  });

  it('ONNX exports with links inside and out of them: 40 layouts', async () => {
    await fc.assert(exportLinksProperty, { numRuns: 40, seed: HOSTILE_SEED });
  });
});
