import * as assert from 'node:assert/strict';
import { generationSessionOptions, spinningPays } from '../../../src/inference/sessionOptions';

describe('generation session options', () => {
  it('threads spin only on a machine idle at load time (load per core under one half)', () => {
    assert.equal(spinningPays(0.2, 2), true);
    assert.equal(spinningPays(0.99, 2), true);
    assert.equal(spinningPays(1, 2), false);
    assert.equal(spinningPays(9.5, 2), false);
    assert.equal(spinningPays(3, 16), true);
    // Windows reports no load average: onnxruntime's own default (spinning) stays.
    assert.equal(spinningPays(0, 8), true);
  });

  it('hands the choice to onnxruntime as its session config entry', () => {
    const entry = (spin: boolean) =>
      (generationSessionOptions(spin).extra as { session: { intra_op: { allow_spinning: string } } }).session
        .intra_op.allow_spinning;
    assert.equal(entry(true), '1');
    assert.equal(entry(false), '0');
  });
});
