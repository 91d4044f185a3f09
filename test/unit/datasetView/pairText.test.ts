import * as assert from 'node:assert/strict';
import { applyOverlay } from '../../../src/dataset/overlay';
import type { QaPair } from '../../../src/dataset/model';
import {
  parseEditable,
  PairTextError,
  renderEditable,
  renderPair,
  titleSlug,
} from '../../../src/dataset/view/pairText';

const pair: QaPair = {
  id: '1_CancerGov_QA/0000001_1/1',
  document: {
    id: '0000001_1',
    collection: '1_CancerGov_QA',
    source: 'CancerGov',
    file: '1_CancerGov_QA/0000001_1.xml',
    focus: 'Adult ALL',
  },
  pid: '1',
  qtype: 'information',
  question: 'What is (are) Adult Acute Lymphoblastic Leukemia ?',
  answer: 'Key Points\n- It is a cancer of the blood.\n\n# not a heading of ours',
};

describe('dataset view: pair text', () => {
  it('renders question, answer and metadata, with curation state and the original text after edits', () => {
    const curated = applyOverlay(pair, {
      answer: 'Shorter answer.',
      flag: { reason: 'too long', at: '2026-01-01T00:00:00.000Z' },
      note: 'check source',
    });
    const text = renderPair(curated, { split: 'train', duplicates: ['2_GARD_QA/0000004/1'] });
    assert.match(
      text,
      /^# Question\n\nWhat is \(are\) Adult Acute Lymphoblastic Leukemia \?\n\n# Answer\n\nShorter answer\./,
    );
    assert.match(text, /\*\*Split:\*\* train/);
    assert.match(text, /\*\*Flagged:\*\* too long \(2026-01-01T00:00:00\.000Z\)/);
    assert.match(text, /\*\*Note:\*\* check source/);
    assert.match(text, /\*\*Duplicates:\*\* `2_GARD_QA\/0000004\/1`/);
    assert.match(text, /## Original \(before your edits\)[\s\S]*\*\*Answer:\*\* Key Points/);
    assert.doesNotMatch(text, /\*\*Question:\*\*/, 'the question was not edited');
  });

  it('says when a pair has no answer', () => {
    assert.match(
      renderPair(applyOverlay({ ...pair, answer: '' }, undefined)),
      /_\(no answer in the source\)_/,
    );
  });

  it('parses the editable form back to the same question and answer (round trip)', () => {
    const parsed = parseEditable(renderEditable(pair));
    assert.equal(parsed.question, pair.question);
    assert.equal(parsed.answer, pair.answer.trim());
  });

  it('keeps everything after the answer heading, including markdown headings of its own', () => {
    const parsed = parseEditable('# Question\nQ?\n# Answer\nline 1\n# Question\nline 3\r\n');
    assert.deepEqual(parsed, { question: 'Q?', answer: 'line 1\n# Question\nline 3' });
  });

  it('refuses text without its headings or with an empty question, saying what to fix', () => {
    assert.throws(
      () => parseEditable('Q?\n# Answer\nA'),
      (e: unknown) => e instanceof PairTextError && /# Question/.test(e.message),
    );
    assert.throws(
      () => parseEditable('# Question\nQ?\nA'),
      (e: unknown) => e instanceof PairTextError && /# Answer/.test(e.message),
    );
    assert.throws(() => parseEditable('# Question\n\n# Answer\nA'), /question is empty/);
  });

  it('makes short file-name-safe titles', () => {
    assert.equal(titleSlug('What is / are: "x"?'), 'What is are x');
    assert.equal(titleSlug('a'.repeat(100)).length, 60);
    assert.equal(titleSlug('???'), 'pair');
  });
});
