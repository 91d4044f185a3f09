/**
 * The importer fuzz at a tenth of its size (1,000 inputs per target, the same seed), so every unit run exercises it.
 * The full run (10,000 each) is `npm run fuzz` (test/fuzz/importers.fuzz.ts).
 */
import * as assert from 'node:assert/strict';
import { FUZZ_SEED, FUZZ_TARGETS, fuzzTarget, summaryLine } from '../../fuzz/importerChecks';

const RUNS = 1_000;

describe(`importer fuzz, reduced: ${RUNS} inputs per target, seed ${FUZZ_SEED}`, function () {
  this.timeout(120_000);
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: no crash, no unreported problem`, async () => {
      const report = await fuzzTarget(target, RUNS);
      assert.equal(report.tried, RUNS);
      assert.equal(
        report.crashes + report.unreported + report.other,
        0,
        `${summaryLine(report)}\n${report.examples.join('\n\n')}`,
      );
    });
  }
});
