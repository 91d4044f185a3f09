import * as v from 'valibot';
import type { GradingPanelRequest } from '../protocol/gradingPanel';
import { parseWith } from '../util/validate';
import { openSourceMessage } from '../retrieval/citations';
import { GRADE_FLAGS } from './gradeStore';

/**
 * The Grading panel's messages checked at the boundary: a webview is untrusted input (a compromised page could
 * post anything), so each request must match its shape exactly before the host acts on it.
 */
const slot = v.picklist(['base', 'adapter', 'A', 'B']);
const side = v.picklist(['base', 'adapter']);
const id = v.pipe(v.string(), v.maxLength(1000));

const request = v.variant('type', [
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({ type: v.literal('grade'), id, slot, grade: v.picklist([1, 2, 3, 4]) }),
  v.strictObject({
    type: v.literal('toggleFlag'),
    id,
    slot,
    flag: v.picklist(GRADE_FLAGS),
  }),
  v.strictObject({ type: v.literal('comment'), id, slot, comment: v.pipe(v.string(), v.maxLength(10_000)) }),
  v.strictObject({ type: v.literal('navigate'), to: v.picklist(['next', 'previous', 'nextUngraded']) }),
  v.strictObject({
    type: v.literal('setFilter'),
    filter: v.strictObject({
      status: v.picklist(['all', 'ungraded', 'flagged', 'stale']),
      qtype: v.nullable(v.pipe(v.string(), v.maxLength(200))),
      f1Band: v.picklist(['all', 'lt10', '10to30', '30to50', 'ge50']),
      order: v.picklist(['file', 'f1-ascending']),
    }),
  }),
  v.strictObject({ type: v.literal('setMode'), mode: v.picklist(['single', 'blind']) }),
  v.strictObject({ type: v.literal('setSide'), side }),
  v.strictObject({ type: v.literal('prefer'), id, preference: v.picklist(['A', 'B', 'tie']) }),
  v.strictObject({ type: v.literal('openDiff'), id, kind: v.picklist(['reference', 'baseVsAdapter']), slot }),
  v.strictObject({ type: v.literal('selectEvaluation') }),
  openSourceMessage,
]);

/** The request, or an Error saying what is wrong with the message (for the log). */
export function parseGradingMessage(message: unknown): GradingPanelRequest | { type: 'ready' } | Error {
  return parseWith(request, message, 'Grading panel');
}
