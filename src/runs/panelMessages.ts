import * as v from 'valibot';
import type { RunDashboardRequest } from '../protocol/runDashboard';
import { parseWith } from '../util/validate';

/** The run dashboard's messages, checked at the host boundary (the webview is untrusted input). */
const request = v.variant('type', [
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({
    type: v.literal('selectRun'),
    dir: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  v.strictObject({ type: v.literal('openConfig') }),
  v.strictObject({ type: v.literal('revealFolder') }),
  v.strictObject({ type: v.literal('openTraceback') }),
  v.strictObject({ type: v.literal('cancel') }),
]);

export type DashboardMessage = RunDashboardRequest | { type: 'ready' };
const fits = (value: v.InferOutput<typeof request>): DashboardMessage => value;
void fits;

export function parseDashboardMessage(message: unknown): DashboardMessage | Error {
  return parseWith(request, message, 'Run dashboard');
}
