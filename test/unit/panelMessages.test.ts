import * as assert from 'node:assert/strict';
import { parseDatasetMessage } from '../../src/dataset/panelMessages';
import { parseMetricsMessage } from '../../src/evaluation/panelMessages';
import { parseGradingMessage } from '../../src/grading/panelMessages';
import { parseDashboardMessage } from '../../src/runs/panelMessages';

describe('webview messages are validated at the host boundary', () => {
  it('accepts every panel its own protocol messages', () => {
    for (const [parse, message] of [
      [parseMetricsMessage, { type: 'openPredictions', side: 'adapter' }],
      [parseMetricsMessage, { type: 'saveUi', ui: { sort: { column: 'f1', descending: true }, savedAt: 5 } }],
      [parseDashboardMessage, { type: 'selectRun', dir: '/w/.medqa/runs/a' }],
      [parseDatasetMessage, { type: 'run', command: 'split' }],
      [parseGradingMessage, { type: 'navigate', to: 'nextUngraded' }],
      [parseMetricsMessage, { type: 'ready' }],
    ] as const)
      assert.deepEqual(parse(message), message);
  });

  it('rejects forged, malformed and unknown messages', () => {
    const forged: [(m: unknown) => unknown, unknown][] = [
      [parseMetricsMessage, { type: 'openPredictions', side: '../../x' }],
      [parseMetricsMessage, { type: 'openPrediction', side: 'adapter', id: 7 }],
      [parseMetricsMessage, { type: 'export', format: 'html' }],
      [parseMetricsMessage, { type: 'selectEvaluation', dir: '' }],
      [parseMetricsMessage, { type: 'revealFolder', extra: true }],
      [parseDashboardMessage, { type: 'cancel', pid: 1 }],
      [parseDashboardMessage, { type: 'runShell', command: 'rm -rf /' }],
      [parseDatasetMessage, { type: 'run', command: 'train' }],
      [parseDatasetMessage, { type: 'openProblem', index: -1 }],
      [parseDatasetMessage, { type: 'openProblem', index: 1.5 }],
      [parseGradingMessage, { type: 'grade', id: 'q', slot: 'A', grade: '3' }],
      [parseMetricsMessage, null],
      [parseMetricsMessage, 'ready'],
      [parseMetricsMessage, { type: { toString: 'x' } }],
    ];
    for (const [parse, message] of forged) {
      const result = parse(message);
      assert.ok(result instanceof Error, `accepted ${JSON.stringify(message)}`);
      assert.match(result.message, /rejected a message/);
    }
  });
});
