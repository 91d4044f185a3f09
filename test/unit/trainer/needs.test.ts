import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EVALUATION, TRAINING, trainingNeeds } from '../../../src/trainer/needs';

const DOCTOR = path.join(__dirname, '..', '..', '..', '..', 'trainer', 'medqa_trainer', 'doctor.py');

/** The names in doctor.py's `PACKAGES = (...)`: the packages whose versions `doctor --json` reports. */
function doctorPackages(): string[] {
  // Up to the tuple's closing line: a comment beside a name may hold parentheses.
  const match = /^PACKAGES = \(\n([\s\S]*?)^\)/m.exec(readFileSync(DOCTOR, 'utf8'));
  assert.ok(match, `no PACKAGES tuple in ${DOCTOR}`);
  return [...match[1].matchAll(/^\s*"([^"]+)",/gm)].map((m) => m[1]);
}

describe('what the extension requires before starting the trainer', () => {
  it('names only packages the doctor reports (any other would refuse every interpreter)', () => {
    const reported = doctorPackages();
    assert.ok(reported.includes('torch'), 'the tuple was read');
    for (const needs of [TRAINING, EVALUATION, trainingNeeds(['tensorboard', 'mlflow'])])
      assert.deepEqual(
        needs.packages.filter((name) => !reported.includes(name)),
        [],
        `${needs.action} requires packages that doctor.py does not report`,
      );
  });
});
