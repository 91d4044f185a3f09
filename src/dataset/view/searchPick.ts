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

/** One search: the quick pick, the pairs it searches (read once loaded) and the ranking asked of the index. */
class PairSearch {
  private readonly pick = vscode.window.createQuickPick<SearchItem>();
  private readonly context: SearchContext;
  private readonly baseTitle: string;
  private pairs: CuratedPair[] = [];
  private lowered: string[] = [];
  private byId = new Map<string, CuratedPair>();
  /** Ticket of the latest ranking asked for: an older answer is dropped. */
  private asked = 0;
  private rankerProblem: string | undefined;
  private substringTitle: string;

  constructor(
    private readonly session: DatasetSession,
    private readonly options: { title?: string; value?: string; ranker?: SearchRanker },
  ) {
    this.context = {
      splitOf: (id) => session.splitOf(id),
      isDuplicate: (id) => session.isDuplicate(id),
    };
    this.baseTitle = options.title ?? 'Search QA Pairs';
    this.substringTitle = this.baseTitle;
    const pick = this.pick;
    pick.title = this.baseTitle;
    pick.placeholder =
      'Words in the question; filters: is:flagged, qtype:…, source:…, collection:…, split:train';
    pick.matchOnDescription = false;
    pick.matchOnDetail = false;
    pick.ignoreFocusOut = false;
  }

  /** Shows the pick; resolves with the chosen pair's id, or undefined when dismissed. */
  show(): Promise<string | undefined> {
    const pick = this.pick;
    return new Promise((resolve) => {
      let chosen: string | undefined;
      const disposables = [
        pick.onDidChangeValue(() => this.update()),
        pick.onDidAccept(() => {
          const pairId = this.accept();
          if (pairId) {
            chosen = pairId;
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
      void this.session
        .whenLoaded()
        .catch(() => undefined)
        .then(() => this.load());
    });
  }

  private load(): void {
    this.pairs = this.session.curatedPairs();
    this.lowered = this.pairs.map((pair) => pair.question.toLowerCase());
    this.byId = new Map(this.pairs.map((pair) => [pair.id, pair]));
    this.pick.busy = false;
    if (this.options.value) this.pick.value = this.options.value;
    this.update();
  }

  /** A filter item completes the query and searching goes on; a pair item's id is returned (the choice). */
  private accept(): string | undefined {
    const pick = this.pick;
    const item = pick.selectedItems[0];
    if (item?.filter) {
      // Replace a half-typed `key:val` with the full filter, keep the rest, and go on searching.
      pick.value = `${pick.value.replace(/(?:^|\s)\w+:"?[^"\s]*$/, '').trim()} ${item.filter} `.trimStart();
      this.update();
      return undefined;
    }
    return item?.pairId;
  }

  private problemNote(): string {
    return this.rankerProblem ? ` (not ranked: ${this.rankerProblem})` : '';
  }

  private update(): void {
    const value = this.pick.value;
    const typingFilter = /(?:^|\s)(\w+):("?[^"\s]*)$/.exec(value);
    const key = typingFilter?.[1].toLowerCase();
    if (value.trim() === '' || (key && (FILTER_KEYS as readonly string[]).includes(key))) {
      this.pick.items = filterSuggestions(
        this.session,
        this.pairs,
        this.context,
        key as FilterKey | undefined,
        typingFilter?.[2].replace(/^"/, '') ?? '',
      );
      this.pick.title = `${this.baseTitle} — ${this.pairs.length.toLocaleString('en-US')} pairs`;
      return;
    }
    const query = parseQuery(value);
    this.showMatches(query);
    // After a failure (no Python, a broken index) the rest of this search stays unranked instead of failing per key.
    if (this.options.ranker && !this.rankerProblem && rankable(query))
      this.rank(this.options.ranker, value, query);
  }

  /** The pairs whose text matches, at most MAX_RESULTS of them. */
  private showMatches(query: ReturnType<typeof parseQuery>): void {
    const results: SearchItem[] = [];
    let total = 0;
    for (let i = 0; i < this.pairs.length; i++) {
      const pair = this.pairs[i];
      if (!matchesQuery(pair, query, this.context, this.lowered[i])) continue;
      if (results.length < MAX_RESULTS) results.push(resultItem(pair, this.context));
      total++;
    }
    this.pick.items = results;
    const shown = total > MAX_RESULTS ? ` (first ${MAX_RESULTS} shown)` : '';
    this.substringTitle = `${this.baseTitle} — ${total.toLocaleString('en-US')} match${total === 1 ? '' : 'es'}${shown}`;
    this.pick.title = this.substringTitle + this.problemNote();
  }

  /** Replaces the substring matches with the index's ranking, unless the text changed meanwhile. */
  private rank(ranker: SearchRanker, value: string, query: ReturnType<typeof parseQuery>): void {
    const pick = this.pick;
    const ticket = ++this.asked;
    pick.busy = true;
    ranker
      .rank(query.words.join(' '))
      .then(
        (ranking) => {
          if (ticket !== this.asked || pick.value !== value || !ranking) return;
          const ranked = filterRanked(ranking.ids, (id) => this.byId.get(id), query, this.context);
          pick.items = ranked.map((pair) => resultItem(pair, this.context));
          pick.title = `${this.baseTitle} — ${ranked.length.toLocaleString('en-US')} ranked by the retrieval index "${ranking.index}"`;
        },
        (error: unknown) => {
          // The substring matches stay; the title says why they are not ranked.
          this.rankerProblem = error instanceof Error ? error.message : String(error);
          if (ticket === this.asked && pick.value === value)
            pick.title = this.substringTitle + this.problemNote();
        },
      )
      .finally(() => {
        if (ticket === this.asked) pick.busy = false;
      });
  }
}

/** Shows the search; resolves with the chosen pair's id, or undefined when dismissed. */
export function showPairSearch(
  session: DatasetSession,
  options: { title?: string; value?: string; ranker?: SearchRanker } = {},
): Promise<string | undefined> {
  return new PairSearch(session, options).show();
}
