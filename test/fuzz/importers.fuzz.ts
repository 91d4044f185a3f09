/**
 * Seeded fuzz run of the dataset importers (issue 11): at least 10,000 generated inputs per reader and for
 * importDataset on files on disk, with no crash and no unreported problem. `npm run fuzz`; MEDQA_FUZZ_RUNS and
 * MEDQA_FUZZ_SEED override the size and the seed (a failure prints the seed and the first failing inputs).
 * A 1,000-input variant runs in the unit suite (test/unit/dataset/fuzzSmoke.test.ts).
 */
import * as assert from 'node:assert/strict';
import { FUZZ_SEED, FUZZ_TARGETS, fuzzTarget, summaryLine } from './importerChecks';

const runs = Number(process.env.MEDQA_FUZZ_RUNS) || 10_000;
const seed = Number(process.env.MEDQA_FUZZ_SEED) || FUZZ_SEED;

describe(`importer fuzz: ${runs} inputs each, seed ${seed}`, function () {
  this.timeout(0);
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: no crash, no unreported problem`, async () => {
      const report = await fuzzTarget(target, runs, seed);
      console.log(`      ${summaryLine(report)}`);
      assert.equal(report.tried, runs);
      assert.equal(report.crashes + report.unreported + report.other, 0, report.examples.join('\n\n'));
    });
  }
});
