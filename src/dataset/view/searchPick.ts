/**
 * The "Search QA Pairs…" quick pick. We filter ourselves (all items `alwaysShow`) and show at most MAX_RESULTS, so
 * 47k pairs never cross to the workbench. With no text, or while a `key:` is being typed, it offers filters
 * (`is:flagged`, `qtype:…`, `split:…`, …) with counts; choosing one adds it to the query. With a retrieval index
 * (`ranker`), the words are ranked by it and the filters narrow its ranking; the substring matches show until its
 * answer arrives, and stay when it has none.
 */
import * as vscode from 'vscode';
import type { CuratedPair } from '../overlay';
import {
  FILTER_KEYS,
  filterRanked,
  filterText,
  matchesQuery,
  pairStates,
  parseQuery,
  rankable,
  STATES,
  type FilterKey,
  type SearchContext,
} from './pairSearch';
import type { DatasetSession } from './session';

const MAX_RESULTS = 200;

/** Ranks the words of a search with the retrieval index (the trainer's ranking; the extension has none of its own). */
export interface SearchRanker {
  /** Pair ids best first, and the index's name; undefined when there is no index to ask. Rejects on its failure. */
  rank(words: string): Promise<{ ids: string[]; index: string } | undefined>;
}

interface SearchItem extends vscode.QuickPickItem {
  pairId?: string;
  filter?: string;
}

function counted(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function filterSuggestions(
  session: DatasetSession,
  pairs: CuratedPair[],
  context: SearchContext,
  onlyKey?: FilterKey,
  prefix = '',
): SearchItem[] {
  const groups: [FilterKey, Map<string, number>][] = [
    ['is', counted(pairs.flatMap((pair) => [...pairStates(pair, context)]))],
    ['split', counted(session.split ? pairs.map((pair) => context.splitOf(pair.id) ?? 'none') : [])],
    ['qtype', counted(pairs.map((pair) => pair.qtype))],
    ['source', counted(pairs.map((pair) => pair.document.source))],
    ['collection', counted(pairs.map((pair) => pair.document.collection))],
  ];
  const items: SearchItem[] = [];
  for (const [key, counts] of groups) {
    if (onlyKey && key !== onlyKey) continue;
    const values = key === 'is' ? STATES.filter((state) => counts.has(state)) : [...counts.keys()];
    const shown = values.filter((value) => value.toLowerCase().startsWith(prefix.toLowerCase()));
    if (shown.length === 0) continue;
    items.push({ label: key === 'is' ? 'State' : key, kind: vscode.QuickPickItemKind.Separator });
    for (const value of shown) {
      items.push({
        label: filterText(key, value),
        description: `${(counts.get(value) ?? 0).toLocaleString('en-US')} pair${counts.get(value) === 1 ? '' : 's'}`,
        filter: filterText(key, value),
        alwaysShow: true,
        iconPath: new vscode.ThemeIcon('filter'),
      });
    }
  }
  return items;
}

function resultItem(pair: CuratedPair, context: SearchContext): SearchItem {
  const states = [...pairStates(pair, context)];
  const icon = pair.excluded
    ? 'circle-slash'
    : pair.flagged
      ? 'flag'
      : states.includes('duplicate')
        ? 'copy'
        : 'comment-discussion';
  return {
    label: pair.question,
    description: `${pair.qtype} · ${pair.document.focus ?? pair.document.collection}`,
    detail: states.length ? `${pair.id} · ${states.join(', ')}` : pair.id,
    pairId: pair.id,
    alwaysShow: true,
    iconPath: new vscode.ThemeIcon(icon),
  };
}

/** Shows the search; resolves with the chosen pair's id, or undefined when dismissed. */
export function showPairSearch(
  session: DatasetSession,
  options: { title?: string; value?: string; ranker?: SearchRanker } = {},
): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<SearchItem>();
  const context: SearchContext = {
    splitOf: (id) => session.splitOf(id),
    isDuplicate: (id) => session.isDuplicate(id),
  };
  const baseTitle = options.title ?? 'Search QA Pairs';
  pick.title = baseTitle;
  pick.placeholder =
    'Words in the question; filters: is:flagged, qtype:…, source:…, collection:…, split:train';
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;
  pick.ignoreFocusOut = false;
  let pairs: CuratedPair[] = [];
  let lowered: string[] = [];
  let byId = new Map<string, CuratedPair>();
  let asked = 0;
  let rankerProblem: string | undefined;
  let substringTitle = baseTitle;
  const problemNote = () => (rankerProblem ? ` (not ranked: ${rankerProblem})` : '');

  const update = () => {
    const value = pick.value;
    const typingFilter = /(?:^|\s)(\w+):("?[^"\s]*)$/.exec(value);
    const key = typingFilter?.[1].toLowerCase();
    if (value.trim() === '' || (key && (FILTER_KEYS as readonly string[]).includes(key))) {
      pick.items = filterSuggestions(
        session,
        pairs,
        context,
        key as FilterKey | undefined,
        typingFilter?.[2].replace(/^"/, '') ?? '',
      );
      pick.title = `${baseTitle} — ${pairs.length.toLocaleString('en-US')} pairs`;
      return;
    }
    const query = parseQuery(value);
    const results: SearchItem[] = [];
    let total = 0;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      if (!matchesQuery(pair, query, context, lowered[i])) continue;
      if (results.length < MAX_RESULTS) results.push(resultItem(pair, context));
      total++;
    }
    pick.items = results;
    const shown = total > MAX_RESULTS ? ` (first ${MAX_RESULTS} shown)` : '';
    substringTitle = `${baseTitle} — ${total.toLocaleString('en-US')} match${total === 1 ? '' : 'es'}${shown}`;
    pick.title = substringTitle + problemNote();
    // After a failure (no Python, a broken index) the rest of this search stays unranked instead of failing per key.
    if (options.ranker && !rankerProblem && rankable(query)) rank(options.ranker, value, query);
  };

  /** Replaces the substring matches with the index's ranking, unless the text changed meanwhile. */
  const rank = (ranker: SearchRanker, value: string, query: ReturnType<typeof parseQuery>) => {
    const ticket = ++asked;
    pick.busy = true;
    ranker
      .rank(query.words.join(' '))
      .then(
        (ranking) => {
          if (ticket !== asked || pick.value !== value || !ranking) return;
          const ranked = filterRanked(ranking.ids, (id) => byId.get(id), query, context);
          pick.items = ranked.map((pair) => resultItem(pair, context));
          pick.title = `${baseTitle} — ${ranked.length.toLocaleString('en-US')} ranked by the retrieval index "${ranking.index}"`;
        },
        (error: unknown) => {
          // The substring matches stay; the title says why they are not ranked.
          rankerProblem = error instanceof Error ? error.message : String(error);
          if (ticket === asked && pick.value === value) pick.title = substringTitle + problemNote();
        },
      )
      .finally(() => {
        if (ticket === asked) pick.busy = false;
      });
  };

  return new Promise((resolve) => {
    let chosen: string | undefined;
    const disposables = [
      pick.onDidChangeValue(update),
      pick.onDidAccept(() => {
        const item = pick.selectedItems[0];
        if (item?.filter) {
          // Replace a half-typed `key:val` with the full filter, keep the rest, and go on searching.
          pick.value =
            `${pick.value.replace(/(?:^|\s)\w+:"?[^"\s]*$/, '').trim()} ${item.filter} `.trimStart();
          update();
          return;
        }
        if (item?.pairId) {
          chosen = item.pairId;
          pick.hide();
        }
      }),
      pick.onDidHide(() => {
        disposables.forEach((d) => d.dispose());
        pick.dispose();
        resolve(chosen);
      }),
    ];
    pick.busy = true;
    pick.show();
    void session
      .whenLoaded()
      .catch(() => undefined)
      .then(() => {
        pairs = session.curatedPairs();
        lowered = pairs.map((pair) => pair.question.toLowerCase());
        byId = new Map(pairs.map((pair) => [pair.id, pair]));
        pick.busy = false;
        if (options.value) pick.value = options.value;
        update();
      });
  });
}
