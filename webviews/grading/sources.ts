// "Sources given to the model" in the Grading panel: the passages a grounded answer was given (its prediction
// row's `retrieved`), the cited ones marked with who cites them. Closed-book rows show nothing.
import type { ExampleView } from '../../src/protocol/gradingPanel';
import { escapeHtml } from '../shared/host';
import { sourcesHtml } from '../shared/sources';

/** Ids of the source items: `grading-source-1`… */
export const SOURCE_PREFIX = 'grading-source';

export function sourcesBlockHtml(): string {
  return `<section id="sources-block" class="card sources-block" aria-labelledby="sources-heading" hidden>
    <h4 id="sources-heading">Sources given to the model</h4>
    <p class="muted">The retrieved NIH passages in its prompt, numbered as it saw them. Flag an answer
      "Not supported by its sources" (N) when they do not back it.</p>
    <p id="grading-cites" class="cites-line"></p>
    <ol id="grading-sources" class="sources"></ol>
  </section>`;
}

export function renderSources(example: ExampleView | null): void {
  const block = document.getElementById('sources-block');
  const list = document.getElementById('grading-sources');
  if (!block || !list) return;
  const sources = example?.sources ?? [];
  block.hidden = sources.length === 0;
  const html = sourcesHtml(SOURCE_PREFIX, sources, (n) => {
    const by = sources.find((s) => s.n === n)?.citedBy ?? [];
    return by.length ? `cited by ${by.join(' and ')}` : '';
  });
  // Rebuilt only when it changed, so an open passage survives a grade or a flag.
  if (html !== shown) list.innerHTML = html;
  shown = html;
  const cites = document.getElementById('grading-cites');
  if (cites) cites.innerHTML = citesHtml(sources);
}

/** "Fine-tuned cites [1] [3]": each answer's citations as links that jump to the source. */
function citesHtml(sources: ExampleView['sources']): string {
  const labels = [...new Set(sources.flatMap((s) => s.citedBy))];
  return labels
    .map((label) => {
      const links = sources
        .filter((s) => s.citedBy.includes(label))
        .map((s) => `<a href="#${SOURCE_PREFIX}-${s.n}" class="cite" data-cites="${s.n}">[${s.n}]</a>`);
      return `<span class="cites">${escapeHtml(label)} cites ${links.join(' ')}</span>`;
    })
    .join(' · ');
}

let shown = '';
