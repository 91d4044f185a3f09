import * as assert from 'node:assert/strict';
import { checkDecodingSettings, DecodingSettingsError } from '../../../src/inference/decoding';
import { InferenceEngine } from '../../../src/inference/engine';
import type { DecodingSettings } from '../../../src/protocol/inferenceWorker';

const greedy: DecodingSettings = { maxNewTokens: 64, temperature: 0, topP: 1 };

describe('decoding settings', () => {
  it('accepts greedy and sampling settings within range', () => {
    checkDecodingSettings(greedy);
    checkDecodingSettings({ maxNewTokens: 1, temperature: 0.7, topP: 0.9, seed: 0, enableThinking: true });
    checkDecodingSettings({ maxNewTokens: 4096, temperature: 5, topP: 1, seed: 2 ** 40 });
  });

  it('names the setting and its range when a value is out of range', () => {
    const cases: [Partial<DecodingSettings>, RegExp][] = [
      [{ maxNewTokens: 0 }, /maxNewTokens must be a whole number from 1 to 4096 \(got 0\)/],
      [{ maxNewTokens: 1.5 }, /maxNewTokens/],
      [{ maxNewTokens: 5000 }, /maxNewTokens/],
      [{ temperature: -0.1 }, /temperature must be from 0 \(greedy\) to 5/],
      [{ temperature: Number.NaN }, /temperature/],
      [{ topP: 0 }, /topP must be above 0 and at most 1 \(got 0\)/],
      [{ topP: 1.01 }, /topP/],
      [{ seed: -1 }, /seed must be a whole number of 0 or more/],
      [{ seed: 0.5 }, /seed/],
    ];
    for (const [change, message] of cases) {
      assert.throws(
        () => checkDecodingSettings({ ...greedy, ...change }),
        (error: unknown) => error instanceof DecodingSettingsError && message.test(error.message),
        JSON.stringify(change),
      );
    }
  });

  it('the engine answers bad settings with an error event and a rejected done, without starting a worker', async () => {
    const engine = new InferenceEngine({ workerScript: '/nonexistent/worker.js' });
    const events: string[] = [];
    const handle = engine.generate(
      '/nowhere',
      [{ role: 'user', content: 'Q?' }],
      { ...greedy, topP: 2 },
      (e) => events.push(e.kind === 'error' ? e.message : e.kind),
    );
    await assert.rejects(handle.done, /topP must be above 0/);
    assert.deepEqual(events, ['topP must be above 0 and at most 1 (got 2)']);
    await engine.dispose();
  });
});
