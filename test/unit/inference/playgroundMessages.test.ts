import * as assert from 'node:assert/strict';
import { parsePlaygroundMessage } from '../../../src/inference/panelMessages';

const decoding = { maxNewTokens: 16, temperature: 0, topP: 0.9, seed: 42 };

describe('playground: webview messages are validated at the host boundary', () => {
  it('accepts every request of the protocol', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'ask', question: 'What causes measles?', decoding },
      { type: 'ask', question: 'Q', decoding: { ...decoding, seed: null, temperature: 0.7, topP: 1 } },
      { type: 'stop' },
      { type: 'pickPair' },
      { type: 'chooseCheckpoint' },
      { type: 'exportMissing' },
      { type: 'compare', kind: 'answers' },
      { type: 'compare', kind: 'reference' },
      { type: 'save' },
    ])
      assert.deepEqual(parsePlaygroundMessage(message), message);
  });

  it('trims the question', () => {
    assert.deepEqual(parsePlaygroundMessage({ type: 'ask', question: '  Q?  ', decoding }), {
      type: 'ask',
      question: 'Q?',
      decoding,
    });
  });

  it('rejects forged, malformed and unknown messages', () => {
    const forged: unknown[] = [
      null,
      'ask',
      { type: 'runShell', command: 'rm -rf /' },
      { type: 'ask', question: '', decoding },
      { type: 'ask', question: '   ', decoding },
      { type: 'ask', question: 'x'.repeat(20_001), decoding },
      { type: 'ask', question: 7, decoding },
      { type: 'ask', question: 'Q' },
      { type: 'ask', question: 'Q', decoding, exportDir: '/etc' },
      { type: 'ask', question: 'Q', decoding: { ...decoding, maxNewTokens: 0 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, maxNewTokens: 1e9 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, maxNewTokens: 2.5 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, temperature: -1 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, temperature: Number.NaN } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, topP: 0 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, topP: 1.5 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, seed: -3 } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, seed: '42' } },
      { type: 'ask', question: 'Q', decoding: { ...decoding, workerScript: '/tmp/evil.js' } },
      { type: 'compare', kind: 'files' },
      { type: 'save', dir: '/etc' },
      { type: 'stop', all: true },
    ];
    for (const message of forged) {
      const parsed = parsePlaygroundMessage(message);
      assert.ok(parsed instanceof Error, `accepted ${JSON.stringify(message)}`);
      assert.match(parsed.message, /^Playground panel: rejected a message/);
    }
  });
});
