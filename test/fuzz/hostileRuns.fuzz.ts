/**
 * Seeded fuzz of hostile run artefacts (issue 22): Hugging Face trainer_state.json files as Python writes them
 * for a diverged run (NaN / Infinity), torn ones and huge histories; ONNX exports whose files are links inside
 * or out of the export. `npm run fuzz`; MEDQA_FUZZ_RUNS and MEDQA_FUZZ_SEED override the size and the seed.
 * A reduced run is in the unit suite (test/unit/runs/hostileRunsSmoke.test.ts).
 */
import fc from 'fast-check';
import {
  checkHugeHistory,
  exportLinksProperty,
  HOSTILE_SEED,
  trainerStateProperty,
} from './hostileRunInputs';

const runs = Number(process.env.MEDQA_FUZZ_RUNS) || 10_000;
const seed = Number(process.env.MEDQA_FUZZ_SEED) || HOSTILE_SEED;

describe(`hostile run artefacts fuzz, seed ${seed}`, function () {
  this.timeout(0);

  it(`trainer_state.json with NaN / Infinity, strings and torn ends: ${runs} inputs`, () => {
    fc.assert(trainerStateProperty, { numRuns: runs, seed });
  });

  it('huge histories: 130,000 to 400,000 entries of each kind', () => {
    for (const size of [130_000, 250_000, 400_000]) checkHugeHistory(size);
  });

  it(`ONNX exports with links inside and out of them: ${Math.ceil(runs / 10)} layouts`, async () => {
    await fc.assert(exportLinksProperty, { numRuns: Math.ceil(runs / 10), seed });
  });
});
