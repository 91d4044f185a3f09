import * as assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { pushAll } from '../../../src/util/arrays';
import { repoRoot } from '../../support/paths';

describe('long arrays (no spread into call arguments)', () => {
  it('pushAll appends 300,000 items, where push(...items) overflows the stack', () => {
    const items = Array.from({ length: 300_000 }, (_, i) => i);
    assert.throws(() => [].push(...(items as never[])), RangeError, 'the engine limit this guards against');
    const target = [-1];
    assert.equal(pushAll(target, items), target);
    assert.equal(target.length, 300_001);
    assert.equal(target[300_000], 299_999);
  });

  it('eslint refuses spreads into push/unshift and Math.min/max in src/ and webviews/', async () => {
    const eslint = new ESLint({ cwd: repoRoot });
    const code =
      'export const f = (a: number[], b: number[]) => {\n  a.push(...b);\n  a.unshift(...b);\n  return Math.min(...a) + Math.max(1, ...b);\n};\n';
    for (const file of ['src/runs/probe.ts', 'webviews/runDashboard/probe.ts']) {
      const [result] = await eslint.lintText(code, { filePath: file });
      const rules = result.messages.map((m) => `${m.line}:${m.ruleId}`);
      assert.deepEqual(
        rules,
        [
          '2:no-restricted-syntax',
          '3:no-restricted-syntax',
          '4:no-restricted-syntax',
          '4:no-restricted-syntax',
        ],
        file,
      );
    }
  });
});
