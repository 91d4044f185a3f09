import * as assert from 'node:assert/strict';
import type { QaPair } from '../../../src/dataset/model';
import { applyOverlay } from '../../../src/dataset/overlay';
import {
  filterRanked,
  filterText,
  matchesQuery,
  parseQuery,
  rankable,
  type SearchContext,
} from '../../../src/dataset/view/pairSearch';

const base: QaPair = {
  id: '5_NIDDK_QA/0000010/2',
  document: { id: '0000010', collection: '5_NIDDK_QA', source: 'NIDDK', file: 'x.xml' },
  pid: '2',
  qtype: 'exams and tests',
  question: 'How to diagnose Celiac Disease ?',
  answer: 'A blood test.',
};
const context: SearchContext = {
  splitOf: (id) => (id === base.id ? 'test' : undefined),
  isDuplicate: () => false,
};

describe('dataset view: search queries', () => {
  it('splits words and key:value filters, with quoted values', () => {
    assert.deepEqual(parseQuery('Celiac qtype:"exams and tests" is:flagged  "blood test" foo:bar'), {
      words: ['celiac', 'blood test', 'foo:bar'],
      filters: [
        { key: 'qtype', value: 'exams and tests' },
        { key: 'is', value: 'flagged' },
      ],
    });
  });

  it('matches every word in the question and every filter', () => {
    const plain = applyOverlay(base, undefined);
    assert.ok(matchesQuery(plain, parseQuery('celiac DIAGNOSE'), context));
    assert.ok(!matchesQuery(plain, parseQuery('celiac cancer'), context));
    assert.ok(matchesQuery(plain, parseQuery('qtype:exams source:niddk collection:5_ split:test'), context));
    assert.ok(!matchesQuery(plain, parseQuery('split:train'), context));
    assert.ok(!matchesQuery(plain, parseQuery('is:flagged'), context));
    const flagged = applyOverlay(base, { flag: { reason: 'x', at: 'now' }, question: 'Edited question' });
    assert.ok(matchesQuery(flagged, parseQuery('is:flagged is:edited edited'), context));
    assert.ok(!matchesQuery(flagged, parseQuery('celiac'), context), 'searches the curated question');
    const duplicates: SearchContext = { ...context, isDuplicate: (id) => id === base.id };
    assert.ok(matchesQuery(plain, parseQuery('is:duplicate'), duplicates));
    assert.ok(!matchesQuery(plain, parseQuery('is:duplicate'), context));
    assert.ok(
      matchesQuery(applyOverlay({ ...base, answer: ' ' }, undefined), parseQuery('is:unanswered'), context),
    );
    assert.ok(!matchesQuery(plain, parseQuery('is:nonsense'), context), 'an unknown state matches nothing');
    assert.ok(
      matchesQuery(plain, parseQuery('celiac'), context, 'already lowered celiac'),
      'uses the lowered text given',
    );
  });

  it('quotes filter values with spaces', () => {
    assert.equal(filterText('qtype', 'exams and tests'), 'qtype:"exams and tests"');
    assert.equal(filterText('is', 'flagged'), 'is:flagged');
  });

  it('ranks with the retrieval index only when an index can hold the pairs asked for', () => {
    assert.ok(rankable(parseQuery('celiac diagnosis')));
    assert.ok(rankable(parseQuery('celiac is:flagged qtype:treatment')));
    assert.ok(!rankable(parseQuery('qtype:treatment')), 'filters alone: nothing to rank');
    assert.ok(!rankable(parseQuery('celiac is:excluded')), 'excluded pairs are never indexed');
    assert.ok(!rankable(parseQuery('celiac is:unanswered')), 'unanswered pairs are never indexed');
  });

  it("keeps the index's order, applies the filters, drops unknown and repeated ids", () => {
    const other = applyOverlay(
      { ...base, id: '1_CancerGov_QA/0000001/1', qtype: 'treatment', question: 'How to treat it ?' },
      { flag: { reason: 'x', at: 'now' } },
    );
    const plain = applyOverlay(base, undefined);
    const pairs = new Map([plain, other].map((p) => [p.id, p]));
    const lookup = (id: string) => pairs.get(id);
    const ranking = [other.id, 'gone/0000001/1', plain.id, other.id];
    // The words are the index's to match: neither question contains "gluten", both stay.
    assert.deepEqual(
      filterRanked(ranking, lookup, parseQuery('gluten'), context).map((p) => p.id),
      [other.id, plain.id],
    );
    assert.deepEqual(
      filterRanked(ranking, lookup, parseQuery('gluten is:flagged'), context).map((p) => p.id),
      [other.id],
    );
    assert.deepEqual(
      filterRanked(ranking, lookup, parseQuery('gluten split:test qtype:exams'), context).map((p) => p.id),
      [plain.id],
    );
  });
});
