/** Counts for `medqa data stats` and the stats panel: pairs, answered/unanswered, per collection and qtype. */
import type { ImportProblem, QaPair } from './model';
import { countProblems } from './readers/problemLog';

export interface CountRow {
  pairs: number;
  answered: number;
  unanswered: number;
}

export interface DatasetStats extends CountRow {
  byCollection: Record<string, CountRow>;
  byQtype: Record<string, CountRow>;
  /** Number of import problems. */
  errors: number;
  /** Present when curated pairs were counted (overlay applied). */
  excluded?: number;
  flagged?: number;
  edited?: number;
}

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

function bump(rows: Map<string, CountRow>, key: string, answered: boolean): void {
  let row = rows.get(key);
  if (!row) rows.set(key, (row = { pairs: 0, answered: 0, unanswered: 0 }));
  row.pairs++;
  if (answered) row.answered++;
  else row.unanswered++;
}

export function isAnswered(pair: { answer: string }): boolean {
  return pair.answer.trim().length > 0;
}

export function computeStats(
  pairs: readonly (QaPair & { excluded?: unknown; flagged?: unknown; edited?: boolean })[],
  problems: readonly ImportProblem[] = [],
): DatasetStats {
  const collections = new Map<string, CountRow>();
  const qtypes = new Map<string, CountRow>();
  let answered = 0;
  let excluded = 0;
  let flagged = 0;
  let edited = 0;
  let curated = false;
  for (const pair of pairs) {
    const has = isAnswered(pair);
    if (has) answered++;
    bump(collections, pair.document.collection, has);
    bump(qtypes, pair.qtype, has);
    if ('edited' in pair) curated = true;
    if (pair.excluded) excluded++;
    if (pair.flagged) flagged++;
    if (pair.edited) edited++;
  }
  const sorted = (rows: Map<string, CountRow>, byCount: boolean): Record<string, CountRow> =>
    Object.fromEntries(
      [...rows.entries()].sort((a, b) => (byCount ? b[1].pairs - a[1].pairs : 0) || naturalOrder(a[0], b[0])),
    );
  return {
    pairs: pairs.length,
    answered,
    unanswered: pairs.length - answered,
    byCollection: sorted(collections, false),
    byQtype: sorted(qtypes, true),
    errors: countProblems(problems),
    ...(curated ? { excluded, flagged, edited } : {}),
  };
}
