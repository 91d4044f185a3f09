// Word-level highlighting for the Grading panel: the words one text has that another lacks, marked in place.
// The diff itself comes from the `diff` package; this file only turns its change list into escaped HTML.
import { diffWords } from 'diff';
import { escapeHtml } from '../shared/host';

export type MarkClass = 'added' | 'left-out';

/** Long, very different texts are shown unmarked rather than freezing the panel. */
const DIFF_TIMEOUT_MS = 250;
const CACHE_SIZE = 64;
const cache = new Map<string, string>();

/**
 * `shown` as HTML, its words that `base` does not have wrapped in `<mark class="…">`. Whitespace and newlines of
 * `shown` are kept exactly; when the diff cannot be trusted to reproduce them (or takes too long) the text is
 * returned escaped and unmarked.
 */
export function markedHtml(base: string, shown: string, mark: MarkClass): string {
  const key = `${mark}\u0000${base}\u0000${shown}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const html = compute(base, shown, mark);
  if (cache.size >= CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, html);
  return html;
}

function compute(base: string, shown: string, mark: MarkClass): string {
  // With nothing to compare against, marking every word would only add noise.
  if (!base.trim() || !shown.trim()) return escapeHtml(shown);
  const changes = diffWords(base, shown, { ignoreCase: true, timeout: DIFF_TIMEOUT_MS });
  if (!changes) return escapeHtml(shown);
  const kept = changes.filter((change) => !change.removed);
  if (kept.map((change) => change.value).join('') !== shown) return escapeHtml(shown);
  return kept.map((change) => (change.added ? wrap(change.value, mark) : escapeHtml(change.value))).join('');
}

/** Marks the words of a run, leaving its leading and trailing whitespace outside the mark. */
function wrap(value: string, mark: MarkClass): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(value);
  if (!match || !match[2]) return escapeHtml(value);
  const [, lead = '', words, trail = ''] = match;
  return `${escapeHtml(lead)}<mark class="${mark}">${escapeHtml(words)}</mark>${escapeHtml(trail)}`;
}
