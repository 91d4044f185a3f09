import * as v from 'valibot';
import type { PlaygroundRequest } from '../protocol/playground';
import { openSourceMessage } from '../retrieval/citations';
import { parseWith } from '../util/validate';

/**
 * The Playground panel's messages checked at the boundary: a webview is untrusted input, so a request must match
 * its shape exactly (no extra fields, numbers finite and in range) before the host acts on it.
 */
export const DECODING_LIMITS = {
  maxNewTokens: { min: 1, max: 4096 },
  temperature: { min: 0, max: 2 },
  topP: { min: 0.01, max: 1 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

const finite = v.pipe(v.number(), v.finite());
const inRange = (limits: { min: number; max: number }) =>
  v.pipe(finite, v.minValue(limits.min), v.maxValue(limits.max));

const decoding = v.strictObject({
  maxNewTokens: v.pipe(inRange(DECODING_LIMITS.maxNewTokens), v.integer()),
  temperature: inRange(DECODING_LIMITS.temperature),
  topP: inRange(DECODING_LIMITS.topP),
  seed: v.nullable(v.pipe(inRange(DECODING_LIMITS.seed), v.integer())),
});

const request = v.variant('type', [
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({
    type: v.literal('ask'),
    question: v.pipe(v.string(), v.trim(), v.minLength(1, 'the question is empty'), v.maxLength(20_000)),
    decoding,
  }),
  v.strictObject({ type: v.literal('stop') }),
  v.strictObject({ type: v.literal('pickPair') }),
  v.strictObject({ type: v.literal('chooseCheckpoint') }),
  v.strictObject({ type: v.literal('exportMissing') }),
  v.strictObject({ type: v.literal('compare'), kind: v.picklist(['answers', 'reference']) }),
  v.strictObject({ type: v.literal('save') }),
  v.strictObject({ type: v.literal('setGrounding'), enabled: v.boolean() }),
  v.strictObject({ type: v.literal('buildIndex') }),
  openSourceMessage,
]);

/** The request, or an Error saying what is wrong with the message (for the log). */
export function parsePlaygroundMessage(message: unknown): PlaygroundRequest | { type: 'ready' } | Error {
  return parseWith(request, message, 'Playground panel');
}
