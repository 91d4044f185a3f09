import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { coerceSetting, SETTING_DEFAULTS, SETTING_KEYS } from '../../src/settings/schema';
import { repoRoot } from '../support/paths';

describe('settings: one typed list of every medqa.* setting', () => {
  const declared = (
    JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { type: string; default: unknown }> } };
    }
  ).contributes.configuration.properties;

  it('lists exactly the settings package.json declares, with their declared defaults', () => {
    assert.deepEqual(
      [...SETTING_KEYS].sort(),
      Object.keys(declared)
        .map((k) => k.replace(/^medqa\./, ''))
        .sort(),
    );
    for (const key of SETTING_KEYS) {
      const spec = declared[`medqa.${key}`];
      assert.equal(SETTING_DEFAULTS[key], spec.default, key);
      assert.equal(typeof SETTING_DEFAULTS[key], spec.type === 'number' ? 'number' : 'string', key);
    }
  });

  it('falls back to the default for a value of the wrong type and trims strings', () => {
    assert.equal(coerceSetting('maxLength', '1024'), SETTING_DEFAULTS.maxLength);
    assert.equal(coerceSetting('maxLength', Number.NaN), SETTING_DEFAULTS.maxLength);
    assert.equal(coerceSetting('maxLength', 1024), 1024);
    assert.equal(coerceSetting('runsDirectory', '  runs  '), 'runs');
    assert.equal(coerceSetting('grading.grader', undefined), '');
  });
});
