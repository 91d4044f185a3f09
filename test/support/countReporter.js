// Mocha reporter: the usual spec output for people, plus a counts file for the all-suites summary line.
// Set MEDQA_RESULTS_FILE to the path where {suite, passed, failed, skipped} should be written.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.MEDQA_RESULTS_FILE;
      if (!file) return;
      const { passes, failures, pending } = runner.stats;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(
        file,
        JSON.stringify({
          suite: process.env.MEDQA_SUITE || 'mocha',
          passed: passes,
          failed: failures,
          skipped: pending,
        }),
      );
    });
  }
}

module.exports = CountReporter;
