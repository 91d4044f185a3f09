// The sources list and the citation links as the Playground and Grading webviews render them: a citation links to
// a source the model was given, never elsewhere, and dataset text cannot inject markup or a live link.
import * as assert from 'node:assert/strict';
import { citedAnswerHtml, sourcesHtml } from '../../../webviews/shared/sources';

const source = (n: number, url: string | null) => ({
  n,
  question: `What is <b>measles</b> (${n})?`,
  source: 'MedlinePlus',
  url,
  text: 'Passage <script>x</script>',
});

describe('webviews: sources and citation links', () => {
  it('links each citation of a given source to it, and leaves other brackets as marked text', () => {
    const html = citedAnswerHtml('source', 'Viral [1]; see [2-4] and [9] <img src=x>.', new Set([1, 2, 3]));
    assert.match(html, /<a href="#source-1" class="cite" data-cites="1"[^>]*>\[1\]<\/a>/);
    // [2-4] links to the sources that exist (2 and 3); [9] names none: no link.
    assert.match(html, /<a href="#source-2" class="cite" data-cites="2,3"[^>]*>\[2-4\]<\/a>/);
    assert.match(html, /<span class="cite-unknown"[^>]*>\[9\]<\/span>/);
    assert.ok(html.includes('&lt;img src=x&gt;'), 'the answer text is escaped');
  });

  it('numbers the sources with their site, escapes their text and never puts the URL in an href', () => {
    const html = sourcesHtml(
      'source',
      [source(1, 'https://medlineplus.gov/measles.html'), source(2, null)],
      (n) => (n === 1 ? 'cited' : ''),
    );
    assert.match(html, /<li class="source cited" id="source-1" data-n="1"/);
    assert.match(html, /<li class="source" id="source-2" data-n="2"/);
    assert.ok(html.includes('What is &lt;b&gt;measles&lt;/b&gt; (1)?'));
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('data-url="https://medlineplus.gov/measles.html"'));
    assert.ok(!/href="https?:/.test(html), 'links go through the host, not the webview');
    assert.equal((html.match(/class="source-link"/g) ?? []).length, 1, 'no link for a source without URL');
    assert.equal((html.match(/cited-badge/g) ?? []).length, 1);
  });
});
