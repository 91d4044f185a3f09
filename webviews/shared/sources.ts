// Retrieved sources in a webview (the Playground's grounded answers, the Grading panel's "Sources given"): a
// numbered list with each source's question, NIH site and link, and the citations [n] of an answer as links that
// jump to their source. Links to the NIH pages are never followed in the webview: a click asks the host, which
// checks the URL and opens it in the browser (the CSP loads nothing remote).
import { citationSegments } from '../../src/retrieval/citations';
import { escapeHtml } from './host';

export interface ShownSource {
  n: number;
  question: string;
  source: string | null;
  url: string | null;
  text: string;
  cut?: boolean;
}

/** The list items; `citedBy(n)` says who cited source n ("cited", "cited by Answer A"), or '' for no one. */
export function sourcesHtml(
  prefix: string,
  sources: readonly ShownSource[],
  citedBy: (n: number) => string = () => '',
): string {
  return sources
    .map((s) => {
      const cited = citedBy(s.n);
      const link = s.url
        ? ` <a href="#" class="source-link" data-url="${escapeHtml(s.url)}" title="Open the NIH page in the browser">${escapeHtml(s.url)}</a>`
        : '';
      return `<li class="source${cited ? ' cited' : ''}" id="${prefix}-${s.n}" data-n="${s.n}" tabindex="-1">
        <div><span class="source-n">[${s.n}]</span> <strong class="source-question">${escapeHtml(s.question)}</strong>
          ${cited ? `<span class="badge cited-badge">${escapeHtml(cited)}</span>` : ''}</div>
        <div class="muted source-where">${s.source ? `<span class="source-site">${escapeHtml(s.source)}</span>` : ''}${link}</div>
        <details><summary>Passage${s.cut ? ' (cut to fit the prompt)' : ''}</summary><p class="text source-text">${escapeHtml(s.text)}</p></details>
      </li>`;
    })
    .join('');
}

/** An answer's HTML with each citation of a known source as a link to it; other brackets stay text. */
export function citedAnswerHtml(prefix: string, answer: string, known: ReadonlySet<number>): string {
  return citationSegments(answer)
    .map((segment) => {
      if (!('cites' in segment)) return escapeHtml(segment.text);
      const cites = segment.cites.filter((n) => known.has(n));
      if (cites.length === 0)
        return `<span class="cite-unknown" title="No source with this number was given">${escapeHtml(segment.text)}</span>`;
      return `<a href="#${prefix}-${cites[0]}" class="cite" data-cites="${cites.join(',')}" title="Source ${cites.join(', ')}">${escapeHtml(segment.text)}</a>`;
    })
    .join('');
}

/** Scrolls to source `ns[0]` and highlights every source in `ns` (the last jump's highlight is cleared). */
export function jumpToSources(root: ParentNode, prefix: string, ns: readonly number[]): void {
  root.querySelectorAll('.source.jumped').forEach((el) => el.classList.remove('jumped'));
  const targets = ns.flatMap((n) => {
    const el = root.querySelector<HTMLElement>(`#${prefix}-${n}`);
    return el ? [el] : [];
  });
  targets.forEach((el) => el.classList.add('jumped'));
  targets[0]?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  targets[0]?.focus({ preventScroll: true });
}

/** Click handling for citation links and source links inside `root`. */
export function handleSourceClicks(root: HTMLElement, prefix: string, openUrl: (url: string) => void): void {
  root.addEventListener('click', (event) => {
    const target = event.target as Element;
    const cite = target.closest<HTMLAnchorElement>('a.cite');
    if (cite) {
      event.preventDefault();
      const ns = (cite.dataset.cites ?? '').split(',').map(Number).filter(Number.isInteger);
      jumpToSources(document, prefix, ns);
      return;
    }
    const link = target.closest<HTMLAnchorElement>('a.source-link');
    if (link?.dataset.url) {
      event.preventDefault();
      openUrl(link.dataset.url);
    }
  });
}
