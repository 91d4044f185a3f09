/** How a valibot issue reads in a message: `where: what` (`cuda.available: Invalid type: …`). */
import type * as v from 'valibot';

/** The dotted path of an issue (`files.tokenizer.json.bytes`), empty at the top. */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  return issue.path?.map((item) => String(item.key)).join('.') ?? '';
}

export function issueText(issue: v.BaseIssue<unknown>): string {
  const where = issuePath(issue);
  return `${where ? `${where}: ` : ''}${issue.message}`;
}
