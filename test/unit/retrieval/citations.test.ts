import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { citationSegments, citedNumbers, isWebUrl, parseRetrieved } from '../../../src/retrieval/citations';
import { fixturesDir } from '../../support/paths';

/** The same cases trainer/tests/test_citation_cases.py runs through `metrics.grounding.cited_numbers`. */
const shared = JSON.parse(readFileSync(path.join(fixturesDir, 'retrieval', 'citations.json'), 'utf8')) as {
  cases: { text: string; cited: number[] }[];
};

describe('retrieval: citations [n] read as the trainer reads them', () => {
  it("agrees with the trainer's cited_numbers on the shared cases", () => {
    assert.ok(shared.cases.length >= 10);
    for (const { text, cited } of shared.cases) assert.deepEqual(citedNumbers(text), cited, text);
  });

  it('cuts an answer into text and citations that put it back together', () => {
    const answer = 'Measles is viral [1]. Treat fever [2-4]; see [1, 3] and (5) [x].';
    const segments = citationSegments(answer);
    assert.equal(segments.map((s) => s.text).join(''), answer);
    assert.deepEqual(
      segments.flatMap((s) => ('cites' in s ? [s.cites] : [])),
      [[1], [2, 3, 4], [1, 3]],
    );
    for (const { text, cited } of shared.cases) {
      const linked = citationSegments(text).flatMap((s) => ('cites' in s ? s.cites : []));
      assert.deepEqual([...new Set(linked)], cited, `the links cite what citedNumbers reads: ${text}`);
    }
  });

  it('opens only http(s) links', () => {
    for (const url of [
      'https://www.nlm.nih.gov/medlineplus/ency/article/000001.htm',
      'http://ghr.nlm.nih.gov/x',
    ])
      assert.ok(isWebUrl(url), url);
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'command:workbench.action.quit',
      'https://',
      'nih.gov',
      '',
    ])
      assert.ok(!isWebUrl(url), url);
  });

  it("reads a row's retrieved sources, or nothing when they are absent or malformed", () => {
    const source = { n: 1, id: 'c/d/1', url: null, score: 3.2, question: 'Q?', text: 'T', cut: false };
    assert.deepEqual(parseRetrieved([source]), [source]);
    assert.equal(parseRetrieved(undefined), undefined);
    assert.equal(parseRetrieved(null), undefined);
    assert.equal(parseRetrieved([{ ...source, n: 0 }]), undefined);
    assert.equal(parseRetrieved([{ ...source, text: 3 }]), undefined);
    assert.equal(parseRetrieved('sources'), undefined);
  });
});
