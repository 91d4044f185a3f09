import * as assert from 'node:assert/strict';
import type { QaPair } from '../../../src/dataset/model';
import { applyOverlay } from '../../../src/dataset/overlay';
import {
  filterText,
  matchesQuery,
  parseQuery,
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
});
