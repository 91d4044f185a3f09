import * as assert from 'node:assert/strict';
import { chooseBanding, dedupePairs, findDuplicates, groupKeys } from '../../../src/dataset/dedupe';
import { jaccard, normalizeText, shingleHashes } from '../../../src/dataset/normalize';
import { mulberry32 } from '../../../src/dataset/random';

const items = (texts: string[]) => texts.map((text, i) => ({ id: `p${i}`, text }));

/** A vocabulary big enough that random sentences rarely share 3-word shingles. */
function randomCorpus(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 8 + Math.floor(random() * 25);
    const sentence = Array.from({ length }, () => words[Math.floor(random() * words.length)]);
    texts.push(sentence.join(' '));
    if (random() < 0.3) {
      // A near copy: change one word near the end, or append one.
      const copy = [...sentence];
      if (random() < 0.5) copy[copy.length - 1] = 'changed';
      else copy.push('extra');
      texts.push(copy.join(' '));
    }
  }
  return texts;
}

describe('normalisation', () => {
  it('lower-cases, applies NFKC, strips punctuation and collapses whitespace', () => {
    assert.equal(normalizeText('  What is (are)  GOUT ?\n'), 'what is are gout');
    assert.equal(normalizeText('ﬁbrosis – “cystic”'), 'fibrosis cystic');
    assert.equal(normalizeText('Ｆｕｌｌ width'), 'full width');
    assert.equal(normalizeText('?!'), '');
  });

  it('shingles are order-sensitive and Jaccard is exact', () => {
    const a = shingleHashes('a b c d', 2);
    const b = shingleHashes('a b c e', 2);
    assert.equal(a.length, 3);
    assert.equal(jaccard(a, b), 2 / 4);
    assert.equal(jaccard(a, shingleHashes('d c b a', 2)), 0);
    assert.equal(shingleHashes('short', 3).length, 1, 'texts shorter than k words still get one shingle');
  });
});

describe('duplicate detection', () => {
  it('groups exact duplicates after normalisation', () => {
    const result = findDuplicates(
      items(['What is Gout?', 'what is gout', 'What is (are) Gout ?', 'What is lupus?', '']),
    );
    assert.equal(result.items, 4, 'empty texts are ignored');
    assert.equal(result.distinct, 3);
    assert.deepEqual(
      result.groups.map((g) => [g.kind, g.ids]),
      [['exact', ['p0', 'p1']]],
    );
    assert.equal(result.exactDuplicates, 1);
  });

  it('finds near-duplicates at the threshold and not below, and merges chains with union-find', () => {
    const base =
      'people with this condition often have joint pain stiffness and swelling in the hands and feet';
    const texts = [
      base,
      base + ' today', // 15/16 shingles shared
      base + ' today and tomorrow', // linked to the previous one
      'completely different words about another topic entirely for the sake of this test case here',
    ];
    const result = findDuplicates(items(texts), { threshold: 0.8 });
    assert.equal(result.groups.length, 1);
    assert.deepEqual(result.groups[0].ids, ['p0', 'p1', 'p2']);
    assert.equal(result.groups[0].kind, 'near');
    assert.ok(result.groups[0].similarity >= 0.8 && result.groups[0].similarity < 1);
    const strict = findDuplicates(items(texts), { threshold: 0.95 });
    assert.equal(strict.groups.length, 0);
    assert.deepEqual(groupKeys(result).get('p2'), 'p0');
  });

  it('recall against exact pairwise Jaccard is at least 0.95 on a synthetic corpus', () => {
    const texts = randomCorpus(600, 7);
    const sets = texts.map((t) => shingleHashes(normalizeText(t), 3));
    const truth: string[] = [];
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        if (normalizeText(texts[i]) !== normalizeText(texts[j]) && jaccard(sets[i], sets[j]) >= 0.8)
          truth.push(`${i}-${j}`);
      }
    }
    assert.ok(truth.length > 20, `the corpus needs near pairs (has ${truth.length})`);
    const found = new Set(
      findDuplicates(items(texts), { threshold: 0.8, collectPairs: true }).pairs!.map(
        ([i, j]) => `${i}-${j}`,
      ),
    );
    const recall = truth.filter((pair) => found.has(pair)).length / truth.length;
    assert.ok(recall >= 0.95, `recall ${recall}`);
    for (const pair of found) {
      const [i, j] = pair.split('-').map(Number);
      assert.ok(jaccard(sets[i], sets[j]) >= 0.8, 'no false positives: every reported pair is verified');
    }
  });

  it('chooses banding with ≥ 99% detection probability at the threshold', () => {
    for (const threshold of [0.5, 0.8, 0.9]) {
      const { bands, rows } = chooseBanding(threshold, 128);
      assert.ok(bands * rows <= 128);
      assert.ok(1 - Math.pow(1 - Math.pow(threshold, rows), bands) >= 0.99);
    }
  });

  it('reports questions and non-empty answers separately', () => {
    const doc = { id: 'd', collection: 'c', source: 's', file: 'f' };
    const pairs = [
      { id: 'a', question: 'What is gout?', answer: 'A form of arthritis.', document: doc },
      { id: 'b', question: 'What is GOUT ?', answer: '', document: doc },
      { id: 'c', question: 'Who gets gout?', answer: 'A form of arthritis!', document: doc },
      { id: 'd', question: 'Who treats gout?', answer: '', document: doc },
    ];
    const report = dedupePairs(pairs);
    assert.deepEqual(report.questions.groups[0].ids, ['a', 'b']);
    assert.deepEqual(report.answers.groups[0].ids, ['a', 'c']);
    assert.equal(report.answers.items, 2);
    assert.equal(report.shingleSize, 3, 'the report names the shingle size the search used');
    assert.throws(() => findDuplicates([], { threshold: 0 }), /threshold/);
  });
});
