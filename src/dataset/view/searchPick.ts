/**
 * The "Search QA Pairs…" quick pick. We filter ourselves (all items `alwaysShow`) and show at most MAX_RESULTS, so
 * 47k pairs never cross to the workbench. With no text, or while a `key:` is being typed, it offers filters
 * (`is:flagged`, `qtype:…`, `split:…`, …) with counts; choosing one adds it to the query.
 */
import * as vscode from 'vscode';
import type { CuratedPair } from '../overlay';
import {
  FILTER_KEYS,
  filterText,
  matchesQuery,
  pairStates,
  parseQuery,
  STATES,
  type FilterKey,
  type SearchContext,
} from './pairSearch';
import type { DatasetSession } from './session';

const MAX_RESULTS = 200;

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
  options: { title?: string; value?: string } = {},
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
    pick.title = `${baseTitle} — ${total.toLocaleString('en-US')} match${total === 1 ? '' : 'es'}${shown}`;
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
        pick.busy = false;
        if (options.value) pick.value = options.value;
        update();
      });
  });
}
