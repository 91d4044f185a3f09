import * as v from 'valibot';
import type { RunComparisonRequest } from '../protocol/runComparison';

/**
 * The run comparison panel's messages checked at the boundary (a webview is untrusted input): strict shapes,
 * bounded strings, finite numbers. Folder names are checked again against the compared runs before use.
 */
const dir = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const finite = v.pipe(v.number(), v.finite());

const view = v.strictObject({
  xAxis: v.picklist(['step', 'epoch', 'tokens']),
  smoothing: v.pipe(finite, v.minValue(0), v.maxValue(0.99)),
  range: v.nullable(v.tuple([finite, finite])),
});

const request = v.variant('type', [
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({ type: v.literal('setView'), view }),
  v.strictObject({
    type: v.literal('export'),
    format: v.picklist(['csv', 'markdown']),
    allFields: v.boolean(),
    sort: v.nullable(
      v.strictObject({ column: v.pipe(v.string(), v.maxLength(1000)), descending: v.boolean() }),
    ),
  }),
  v.strictObject({ type: v.literal('addRuns') }),
  v.strictObject({ type: v.literal('removeRun'), dir }),
  v.strictObject({ type: v.literal('openDashboard'), dir }),
]);

/** The request, or an Error saying what is wrong with the message (for the log). */
export function parseComparisonMessage(message: unknown): RunComparisonRequest | { type: 'ready' } | Error {
  const result = v.safeParse(request, message);
  if (result.success) return result.output as RunComparisonRequest | { type: 'ready' };
  const issue = result.issues[0];
  const where = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return new Error(`Run comparison: rejected a message (${where ? `${where}: ` : ''}${issue.message})`);
}
