import * as v from 'valibot';
import type { DatasetPanelRequest } from '../protocol/datasetPanel';
import { parseWith } from '../util/validate';

/** The Dataset panel's messages, checked at the host boundary (the webview is untrusted input). */
const pairId = v.pipe(v.string(), v.minLength(1), v.maxLength(1000));

const request = v.variant('type', [
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({ type: v.literal('openPair'), id: pairId }),
  v.strictObject({ type: v.literal('openBoth'), left: pairId, right: pairId }),
  v.strictObject({ type: v.literal('openProblem'), index: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  v.strictObject({ type: v.literal('setTokenizer') }),
  v.strictObject({
    type: v.literal('run'),
    command: v.picklist(['import', 'findDuplicates', 'split', 'export']),
  }),
  v.strictObject({ type: v.literal('refreshTokens') }),
]);

export type DatasetMessage = DatasetPanelRequest | { type: 'ready' };
const fits = (value: v.InferOutput<typeof request>): DatasetMessage => value;
void fits;

export function parseDatasetMessage(message: unknown): DatasetMessage | Error {
  return parseWith(request, message, 'Dataset panel');
}
