import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EVALUATION, TRAINING } from '../../../src/trainer/needs';

const DOCTOR = path.join(__dirname, '..', '..', '..', '..', 'trainer', 'medqa_trainer', 'doctor.py');

/** The names in doctor.py's `PACKAGES = (...)`: the packages whose versions `doctor --json` reports. */
function doctorPackages(): string[] {
  const match = /^PACKAGES = \(([^)]*)\)/m.exec(readFileSync(DOCTOR, 'utf8'));
  assert.ok(match, `no PACKAGES tuple in ${DOCTOR}`);
  return [...match[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

describe('what the extension requires before starting the trainer', () => {
  it('names only packages the doctor reports (any other would refuse every interpreter)', () => {
    const reported = doctorPackages();
    assert.ok(reported.includes('torch'), 'the tuple was read');
    for (const needs of [TRAINING, EVALUATION])
      assert.deepEqual(
        needs.packages.filter((name) => !reported.includes(name)),
        [],
        `${needs.action} requires packages that doctor.py does not report`,
      );
  });
});
