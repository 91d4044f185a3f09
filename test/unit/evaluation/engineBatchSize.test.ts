import * as assert from 'node:assert/strict';
import {
  agreementExamples,
  batchSizeForEngine,
  DEFAULT_BATCH_SIZE,
  DEFAULT_SETTINGS,
} from '../../../src/evaluation/launcher';

describe('evaluation: batch size per engine', () => {
  it("follows the engine while it is the engine's default, and keeps a size the user chose", () => {
    assert.equal(DEFAULT_SETTINGS.batchSize, DEFAULT_BATCH_SIZE.torch);
    assert.equal(batchSizeForEngine(DEFAULT_BATCH_SIZE.torch, 'torch', 'onnx'), DEFAULT_BATCH_SIZE.onnx);
    assert.equal(batchSizeForEngine(DEFAULT_BATCH_SIZE.onnx, 'onnx', 'torch'), DEFAULT_BATCH_SIZE.torch);
    assert.equal(batchSizeForEngine(4, 'torch', 'onnx'), 4);
    assert.equal(batchSizeForEngine(DEFAULT_BATCH_SIZE.onnx, 'torch', 'onnx'), DEFAULT_BATCH_SIZE.onnx);
    assert.equal(batchSizeForEngine(DEFAULT_BATCH_SIZE.torch, 'torch', 'torch'), DEFAULT_BATCH_SIZE.torch);
    assert.ok(DEFAULT_BATCH_SIZE.onnx > DEFAULT_BATCH_SIZE.torch);
  });

  it('checks agreement on one PyTorch batch, never a larger ONNX one', () => {
    assert.equal(agreementExamples(4), 4);
    assert.equal(agreementExamples(DEFAULT_BATCH_SIZE.onnx), DEFAULT_BATCH_SIZE.torch);
  });
});
