/**
 * The search language of "Search QA Pairs…": words match the question text (all of them, any case); `key:value`
 * filters narrow by qtype, source, collection, split or state (`is:flagged`, `is:excluded`, `is:edited`,
 * `is:duplicate`, `is:unanswered`, `is:noted`). Values with spaces are quoted: `qtype:"exams and tests"`. Pure.
 */
import type { CuratedPair } from '../overlay';

export const STATES = ['flagged', 'excluded', 'edited', 'duplicate', 'unanswered', 'noted'] as const;
export type PairState = (typeof STATES)[number];
export const FILTER_KEYS = ['qtype', 'source', 'collection', 'split', 'is'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface SearchQuery {
  words: string[];
  filters: { key: FilterKey; value: string }[];
}

const TOKEN = /(\w+):(?:"([^"]*)"?|(\S*))|"([^"]*)"?|(\S+)/g;

export function parseQuery(text: string): SearchQuery {
  const query: SearchQuery = { words: [], filters: [] };
  for (const match of text.matchAll(TOKEN)) {
    const [, key, quotedValue, plainValue, quotedWord, word] = match;
    if (key !== undefined && (FILTER_KEYS as readonly string[]).includes(key.toLowerCase())) {
      const value = (quotedValue ?? plainValue ?? '').trim().toLowerCase();
      if (value) query.filters.push({ key: key.toLowerCase() as FilterKey, value });
    } else {
      const literal = (key !== undefined ? match[0] : (quotedWord ?? word ?? '')).toLowerCase().trim();
      if (literal) query.words.push(literal);
    }
  }
  return query;
}

export interface SearchContext {
  splitOf(id: string): string | undefined;
  isDuplicate(id: string): boolean;
}

export function hasState(pair: CuratedPair, state: string, context: SearchContext): boolean {
  switch (state) {
    case 'flagged':
      return Boolean(pair.flagged);
    case 'excluded':
      return Boolean(pair.excluded);
    case 'edited':
      return pair.edited;
    case 'noted':
      return Boolean(pair.note);
    case 'unanswered':
      return pair.answer.trim() === '';
    case 'duplicate':
      return context.isDuplicate(pair.id);
    default:
      return false;
  }
}

export function pairStates(pair: CuratedPair, context: SearchContext): Set<PairState> {
  const states = new Set<PairState>();
  if (pair.flagged) states.add('flagged');
  if (pair.excluded) states.add('excluded');
  if (pair.edited) states.add('edited');
  if (pair.note) states.add('noted');
  if (pair.answer.trim() === '') states.add('unanswered');
  if (context.isDuplicate(pair.id)) states.add('duplicate');
  return states;
}

/** `loweredQuestion`: the question in lower case, when the caller keeps it (searching 47k pairs per keystroke). */
export function matchesQuery(
  pair: CuratedPair,
  query: SearchQuery,
  context: SearchContext,
  loweredQuestion?: string,
): boolean {
  for (const filter of query.filters) {
    switch (filter.key) {
      case 'qtype':
        if (!pair.qtype.toLowerCase().startsWith(filter.value)) return false;
        break;
      case 'source':
        if (!pair.document.source.toLowerCase().includes(filter.value)) return false;
        break;
      case 'collection':
        if (!pair.document.collection.toLowerCase().includes(filter.value)) return false;
        break;
      case 'split':
        if ((context.splitOf(pair.id) ?? 'none') !== filter.value) return false;
        break;
      case 'is':
        if (!hasState(pair, filter.value, context)) return false;
        break;
    }
  }
  if (query.words.length === 0) return true;
  const question = loweredQuestion ?? pair.question.toLowerCase();
  return query.words.every((word) => question.includes(word));
}

/** `key:value` with quotes when the value has spaces. */
export function filterText(key: FilterKey, value: string): string {
  return /\s/.test(value) ? `${key}:"${value}"` : `${key}:${value}`;
}

/**
 * Whether a retrieval index can rank this query: it has words, and its filters ask for no pairs an index leaves out
 * (excluded and unanswered pairs are never indexed; for those the substring search is the answer).
 */
export function rankable(query: SearchQuery): boolean {
  return (
    query.words.length > 0 &&
    !query.filters.some((f) => f.key === 'is' && (f.value === 'excluded' || f.value === 'unanswered'))
  );
}

/**
 * The pairs of a ranking (ids best first, as the retrieval index returned them) that the query's filters keep, in
 * that order. The words were the index's to match; ids the dataset no longer has are dropped.
 */
export function filterRanked(
  ids: readonly string[],
  lookup: (id: string) => CuratedPair | undefined,
  query: SearchQuery,
  context: SearchContext,
): CuratedPair[] {
  const filtersOnly: SearchQuery = { words: [], filters: query.filters };
  const seen = new Set<string>();
  const kept: CuratedPair[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const pair = lookup(id);
    if (pair && matchesQuery(pair, filtersOnly, context)) kept.push(pair);
  }
  return kept;
}
