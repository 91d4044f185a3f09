import * as v from 'valibot';
import type { MetricsPanelRequest } from '../protocol/metricsPanel';
import { parseWith } from '../util/validate';

/** The Metrics panel's messages, checked at the host boundary (the webview is untrusted input). */
const path = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const side = v.picklist(['base', 'adapter']);
const format = v.picklist(['csv', 'markdown']);

const request = v.variant('type', [
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({ type: v.literal('restore'), dir: path }),
  v.strictObject({ type: v.literal('selectEvaluation'), dir: path }),
  v.strictObject({ type: v.literal('export'), format }),
  v.strictObject({ type: v.literal('openPredictions'), side }),
  v.strictObject({ type: v.literal('openPrediction'), side, id: v.pipe(v.string(), v.maxLength(1000)) }),
  v.strictObject({ type: v.literal('revealFolder') }),
  v.strictObject({ type: v.literal('grade') }),
  v.strictObject({ type: v.literal('exportGrades'), format }),
  v.strictObject({
    type: v.literal('saveUi'),
    ui: v.strictObject({
      evaluationDir: v.optional(path),
      sort: v.optional(
        v.strictObject({ column: v.pipe(v.string(), v.maxLength(100)), descending: v.boolean() }),
      ),
      qtypeMetric: v.optional(v.pipe(v.string(), v.maxLength(100))),
      savedAt: v.optional(v.number()),
    }),
  }),
]);

export type MetricsMessage = MetricsPanelRequest | { type: 'ready' };
// Compile-time: whatever the schema lets through is a message of the protocol.
const fits = (value: v.InferOutput<typeof request>): MetricsMessage => value;
void fits;

export function parseMetricsMessage(message: unknown): MetricsMessage | Error {
  return parseWith(request, message, 'Metrics panel');
}
