import * as assert from 'node:assert/strict';
import { findDuplicates } from '../../../src/dataset/dedupe';
import { sourceHash } from '../../../src/dataset/hash';
import { importDataset } from '../../../src/dataset/import';
import type { ImportResult } from '../../../src/dataset/model';
import { normalizeText } from '../../../src/dataset/normalize';
import { createSplit } from '../../../src/dataset/split';
import { computeStats } from '../../../src/dataset/stats';
import { requireShared } from '../../support/paths';

describe('the real MedQuAD (../shared/data/MedQuAD)', function () {
  this.timeout(60_000);
  let result: ImportResult;

  before(async () => {
    result = await importDataset(requireShared('data/MedQuAD'));
  });

  it('imports every pair of all 12 collections without problems', () => {
    assert.deepEqual(result.problems, []);
    assert.equal(result.filesRead, 11_274);
    const stats = computeStats(result.pairs);
    // 47,441 <QAPair> elements plus 16 in the four NINDS files that use the lower-case <doc>/<pair> layout
    // (the collection's readme counts 47,457 as well).
    assert.equal(stats.pairs, 47_457);
    assert.equal(stats.answered, 16_423);
    assert.equal(Object.keys(stats.byCollection).length, 12);
    for (const removed of ['10_MPlus_ADAM_QA', '11_MPlusDrugs_QA', '12_MPlusHerbsSupplements_QA']) {
      assert.equal(stats.byCollection[removed].answered, 0, removed);
    }
    const lowerCase = result.pairs.filter(
      (p) => p.document.source === 'NINDS' && /^(0000007|0000018|0000182|0000244)$/.test(p.document.id),
    );
    assert.equal(lowerCase.length, 16);
    const qapairLayout = result.pairs.filter((p) => !lowerCase.includes(p));
    assert.equal(qapairLayout.length, 47_441);
    assert.equal(qapairLayout.filter((p) => p.answer !== '').length, 16_407);
    assert.equal(new Set(result.pairs.map((p) => p.id)).size, 47_457, 'ids are unique');
  });

  it('finds about 2,000 duplicated question texts among answered pairs', () => {
    const answered = result.pairs.filter((p) => p.answer !== '');
    const questions = findDuplicates(answered.map((p) => ({ id: p.id, text: p.question })));
    assert.ok(
      questions.exactDuplicates > 1800 && questions.exactDuplicates < 2300,
      `exact duplicates: ${questions.exactDuplicates}`,
    );
    assert.ok(questions.groups.some((g) => g.kind === 'near'));
  });

  it('splits 81/9/10 with no normalised question in two splits', () => {
    const split = createSplit(result.pairs, { sourceHash: sourceHash(result.pairs), overlayHash: 'none' });
    assert.equal(split.counts.unanswered, 47_457 - 16_423);
    const total = split.counts.train + split.counts.validation + split.counts.test;
    assert.equal(total, 16_423);
    assert.ok(Math.abs(split.counts.train / total - 0.81) < 0.01);
    assert.ok(Math.abs(split.counts.test / total - 0.1) < 0.01);
    const where = new Map(split.assignments.map((a) => [a.id, a.split]));
    const splitsOf = new Map<string, Set<string>>();
    for (const pair of result.pairs) {
      const s = where.get(pair.id);
      if (!s) continue;
      const key = normalizeText(pair.question);
      splitsOf.set(key, (splitsOf.get(key) ?? new Set()).add(s));
    }
    const leaking = [...splitsOf.entries()].filter(([, set]) => set.size > 1);
    assert.deepEqual(leaking, [], 'questions found in more than one split');
  });
});
