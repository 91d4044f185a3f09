import * as assert from 'node:assert/strict';
import { findQuestionDuplicates, groupKeys, questionItem } from '../../../src/dataset/dedupe';
import { sourceHash } from '../../../src/dataset/hash';
import { importDataset } from '../../../src/dataset/import';
import type { ImportResult } from '../../../src/dataset/model';
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

  it('finds about 2,000 duplicated question texts among answered pairs, and no templated groups', () => {
    const answered = result.pairs.filter((p) => p.answer !== '');
    const questions = findQuestionDuplicates(answered.map(questionItem));
    assert.ok(
      questions.exactDuplicates > 1800 && questions.exactDuplicates < 2300,
      `exact duplicates: ${questions.exactDuplicates}`,
    );
    assert.ok(questions.groups.some((g) => g.kind === 'near'));
    // Over all 47,457 questions the largest group used to be 769 templated drug questions ("What to do in case of
    // emergency or overdose of Abacavir / Abiraterone / …"); now it is one NIDDK document's 20 identical questions.
    const all = findQuestionDuplicates(result.pairs.map(questionItem));
    const largest = all.groups[0];
    process.stdout.write(
      `      largest question group: ${largest.ids.length} × "${largest.sample}" (${largest.kind})\n`,
    );
    assert.ok(
      largest.ids.length <= 20,
      `largest group has ${largest.ids.length} questions: ${largest.sample}`,
    );
    const overdose = (drug: string) =>
      result.pairs.find((p) => p.question === `What to do in case of emergency or overdose of ${drug} ?`)!.id;
    const groupOf = groupKeys(all);
    assert.notEqual(groupOf.get(overdose('Abacavir')) ?? 'a', groupOf.get(overdose('Abiraterone')) ?? 'b');
  });

  it('splits 81/9/10 (seed 42) with no question in two splits, groups kept together, stratified by qtype', () => {
    const split = createSplit(
      result.pairs,
      { sourceHash: sourceHash(result.pairs), overlayHash: 'none' },
      { seed: 42, ratios: [81, 9, 10] },
    );
    assert.equal(split.counts.unanswered, 47_457 - 16_423);
    const total = split.counts.train + split.counts.validation + split.counts.test;
    assert.equal(total, 16_423);
    assert.ok(Math.abs(split.counts.train / total - 0.81) < 0.01);
    assert.ok(Math.abs(split.counts.test / total - 0.1) < 0.01);
    const where = new Map(split.assignments.map((a) => [a.id, a.split]));

    // Lower case, no punctuation, hyphens or spaces: "immunoosseous" and "immuno-osseous" are one question.
    const key = (question: string) => question.toLowerCase().replace(/[\p{P}\p{S}\s]+/gu, '');
    const splitsOf = new Map<string, Set<string>>();
    for (const pair of result.pairs) {
      const s = where.get(pair.id);
      if (!s) continue;
      splitsOf.set(key(pair.question), (splitsOf.get(key(pair.question)) ?? new Set()).add(s));
    }
    const leaking = [...splitsOf.entries()].filter(([, set]) => set.size > 1);
    assert.deepEqual(leaking, [], 'questions found in more than one split');
    const schimke = result.pairs.filter((p) =>
      /^What are the treatments for Schimke immuno-?osseous dysplasia \?$/.test(p.question),
    );
    assert.equal(schimke.length, 2);
    assert.equal(where.get(schimke[0].id), where.get(schimke[1].id));

    const answered = result.pairs.filter((p) => p.answer !== '');
    for (const group of findQuestionDuplicates(answered.map(questionItem)).groups) {
      assert.equal(new Set(group.ids.map((id) => where.get(id))).size, 1, `group "${group.sample}" is split`);
    }
    const byQtype = new Map<string, Record<string, number>>();
    for (const pair of answered) {
      const counts = byQtype.get(pair.qtype) ?? { train: 0, validation: 0, test: 0 };
      counts[where.get(pair.id)!]++;
      byQtype.set(pair.qtype, counts);
    }
    for (const [qtype, counts] of byQtype) {
      const n = counts.train + counts.validation + counts.test;
      if (n < 200) continue;
      assert.ok(Math.abs(counts.train / n - 0.81) < 0.01, `${qtype}: train ${counts.train} of ${n}`);
      assert.ok(
        Math.abs(counts.validation / n - 0.09) < 0.01,
        `${qtype}: validation ${counts.validation} of ${n}`,
      );
      assert.ok(Math.abs(counts.test / n - 0.1) < 0.01, `${qtype}: test ${counts.test} of ${n}`);
    }
  });
});
