import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { normalizeText } from '../../../src/dataset/normalize';
import { mulberry32 } from '../../../src/dataset/random';
import {
  createSplit,
  parseRatios,
  readSplit,
  serializeSplit,
  writeSplit,
  type SplitInput,
} from '../../../src/dataset/split';

const hashes = { sourceHash: 'src', overlayHash: 'ovl' };
const qtypes = ['information', 'symptoms', 'treatment', 'causes', 'research'];

/** 1,000 answered pairs over 5 qtypes (uneven), 40 duplicate clusters, some unanswered and excluded. */
function corpus(): SplitInput[] {
  const random = mulberry32(3);
  const pairs: SplitInput[] = [];
  for (let i = 0; i < 1000; i++) {
    const qtype = qtypes[Math.min(4, Math.floor(Math.pow(random(), 1.5) * 5))];
    pairs.push({
      id: `c/${String(i).padStart(4, '0')}/1`,
      qtype,
      question: `Question number ${i} about topic ${i * 7}?`,
      answer: `Answer ${i}.`,
    });
  }
  for (let g = 0; g < 40; g++) {
    for (let k = 0; k < 3; k++) {
      pairs.push({
        id: `dup/${g}/${k}`,
        qtype: qtypes[g % 5],
        question: k === 2 ? `what is DUPLICATE topic ${g} ??` : `What is duplicate topic ${g}?`,
        answer: `Same answer ${g}.`,
      });
    }
  }
  for (let i = 0; i < 30; i++)
    pairs.push({ id: `u/${i}/1`, qtype: 'information', question: `Unanswered ${i}?`, answer: '' });
  for (let i = 0; i < 12; i++) {
    pairs.push({
      id: `x/${i}/1`,
      qtype: 'information',
      question: `Excluded ${i}?`,
      answer: 'x',
      excluded: { reason: 'r', at: 't' },
    });
  }
  return pairs;
}

describe('split', () => {
  it('is byte-identical for the same input, seed and ratios, whatever the input order', () => {
    const pairs = corpus();
    const a = serializeSplit(createSplit(pairs, hashes, { seed: 42 }));
    const b = serializeSplit(createSplit([...pairs].reverse(), hashes, { seed: 42 }));
    assert.equal(a, b);
    const c = serializeSplit(createSplit(pairs, hashes, { seed: 43 }));
    assert.notEqual(a, c, 'another seed gives another split');
  });

  it('counts excluded and unanswered pairs and leaves them out', () => {
    const split = createSplit(corpus(), hashes);
    assert.equal(split.counts.excluded, 12);
    assert.equal(split.counts.unanswered, 30);
    assert.equal(split.counts.train + split.counts.validation + split.counts.test, 1120);
    assert.equal(split.assignments.length, 1120);
    assert.ok(!split.assignments.some((a) => a.id.startsWith('u/') || a.id.startsWith('x/')));
    const ids = split.assignments.map((a) => a.id);
    assert.deepEqual(ids, [...ids].sort(), 'assignments are sorted by id');
    assert.equal(split.seed, 42);
    assert.deepEqual(split.ratios, [0.81, 0.09, 0.1]);
  });

  it('keeps every duplicate group inside one split (group-aware)', () => {
    const split = createSplit(corpus(), hashes, { seed: 5 });
    const where = new Map(split.assignments.map((a) => [a.id, a.split]));
    for (let g = 0; g < 40; g++) {
      const splits = new Set([0, 1, 2].map((k) => where.get(`dup/${g}/${k}`)));
      assert.equal(splits.size, 1, `group ${g} is split across ${[...splits].join(', ')}`);
    }
    assert.equal(split.groups, 40);
    // And as a whole: no normalised question appears in two splits.
    const byQuestion = new Map<string, Set<string>>();
    for (const pair of corpus()) {
      const s = where.get(pair.id);
      if (!s) continue;
      const key = normalizeText(pair.question);
      byQuestion.set(key, (byQuestion.get(key) ?? new Set()).add(s));
    }
    assert.ok([...byQuestion.values()].every((set) => set.size === 1));
  });

  it('stratifies by qtype: each qtype gets close to the requested shares', () => {
    const pairs = corpus();
    const split = createSplit(pairs, hashes, { ratios: [80, 10, 10] });
    const qtypeOf = new Map(pairs.map((p) => [p.id, p.qtype]));
    for (const qtype of qtypes) {
      const inType = split.assignments.filter((a) => qtypeOf.get(a.id) === qtype);
      const share = (name: string) => inType.filter((a) => a.split === name).length / inType.length;
      assert.ok(inType.length > 50, `${qtype} has ${inType.length}`);
      assert.ok(Math.abs(share('train') - 0.8) < 0.03, `${qtype} train share ${share('train')}`);
      assert.ok(
        Math.abs(share('validation') - 0.1) < 0.03,
        `${qtype} validation share ${share('validation')}`,
      );
      assert.ok(Math.abs(share('test') - 0.1) < 0.03, `${qtype} test share ${share('test')}`);
    }
  });

  it('keeps the overall shares when every qtype is rare (many strata of one or two pairs)', () => {
    const pairs: SplitInput[] = [];
    for (let i = 0; i < 60; i++) {
      for (let k = 0; k <= i % 2; k++) {
        pairs.push({
          id: `rare/${i}/${k}`,
          qtype: `type-${i}`,
          question: `Rare question ${i} variant ${k * 13}?`,
          answer: 'A.',
        });
      }
    }
    const split = createSplit(pairs, hashes, { seed: 42, ratios: [81, 9, 10] });
    const total = pairs.length;
    assert.ok(
      Math.abs(split.counts.validation - 0.09 * total) <= 2,
      `validation ${split.counts.validation} of ${total}`,
    );
    assert.ok(Math.abs(split.counts.test - 0.1 * total) <= 2, `test ${split.counts.test} of ${total}`);
  });

  it('keeps hyphen and spacing variants of a question in one split, and templated questions apart', () => {
    const pairs: SplitInput[] = [];
    for (let i = 0; i < 200; i++) {
      const drug = `Drug${i}`;
      pairs.push({
        id: `drug/${i}`,
        qtype: 'emergency or overdose',
        question: `What to do in case of emergency or overdose of ${drug} ?`,
        answer: 'Call poison control.',
        document: { focus: drug },
      });
    }
    pairs.push(
      {
        id: 'v/1',
        qtype: 'treatment',
        question: 'What are the treatments for immuno-osseous dysplasia ?',
        answer: 'a',
      },
      {
        id: 'v/2',
        qtype: 'treatment',
        question: 'What are the treatments for immunoosseous dysplasia?',
        answer: 'b',
      },
      {
        id: 'v/3',
        qtype: 'treatment',
        question: 'what are the treatments for immuno osseous dysplasia',
        answer: 'c',
      },
    );
    for (const seed of [1, 2, 3, 42]) {
      const split = createSplit(pairs, hashes, { seed, ratios: [81, 9, 10] });
      const where = new Map(split.assignments.map((a) => [a.id, a.split]));
      assert.equal(new Set(['v/1', 'v/2', 'v/3'].map((id) => where.get(id))).size, 1, `seed ${seed}`);
      const drugSplits = new Set(pairs.filter((p) => p.id.startsWith('drug/')).map((p) => where.get(p.id)));
      assert.equal(drugSplits.size, 3, 'questions about 200 different drugs are no duplicate group');
      assert.equal(split.groups, 1);
    }
  });

  it('parses and validates ratios and seeds', () => {
    assert.deepEqual(parseRatios('81, 9, 10'), [0.81, 0.09, 0.1]);
    assert.deepEqual(parseRatios('2,1,1'), [0.5, 0.25, 0.25]);
    assert.throws(() => parseRatios('80,20'), /three/);
    assert.throws(() => parseRatios('a,b,c'), /three/);
    assert.throws(() => parseRatios('0,0,0'), /not all zero/);
    assert.throws(() => createSplit(corpus(), hashes, { seed: 1.5 }), /integer/);
  });

  it('writes, reads back and validates split files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medqa-split-'));
    try {
      const split = createSplit(corpus(), hashes);
      const file = path.join(dir, 'split.json');
      await writeSplit(file, split);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), split, 'the file is plain JSON');
      assert.deepEqual(await readSplit(file), split);
      writeFileSync(file, JSON.stringify({ format: 'other' }));
      await assert.rejects(readSplit(file), /not a MedQA split file/);
      writeFileSync(file, JSON.stringify({ ...split, assignments: [{ id: 'a', split: 'dev' }] }));
      await assert.rejects(readSplit(file), /invalid assignment/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
