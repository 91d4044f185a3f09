import * as assert from 'node:assert/strict';
import { formatBytes } from '../../../src/util/bytes';

describe('formatBytes', () => {
  it('formats sizes for the trees (runs, ONNX exports, retrieval indexes)', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1_000_500), '1.0 MB');
    assert.equal(formatBytes(270_000_000), '270 MB');
  });
});
