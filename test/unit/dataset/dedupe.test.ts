import * as assert from 'node:assert/strict';
import {
  chooseBanding,
  dedupePairs,
  findDuplicates,
  findQuestionDuplicates,
  groupKeys,
  wordSimilarity,
  type DedupeInput,
  type QuestionItem,
} from '../../../src/dataset/dedupe';
import { compactKey, jaccard, normalizeText, shingleHashes } from '../../../src/dataset/normalize';
import { questionShapes, vowelVariant } from '../../../src/dataset/questionShape';
import { mulberry32 } from '../../../src/dataset/random';

const items = (texts: string[]) => texts.map((text, i) => ({ id: `p${i}`, text }));

/** The ids grouped together, as sorted lists, for order-free comparison. */
const groupsOf = (result: { groups: { ids: string[] }[] }) =>
  result.groups.map((g) => [...g.ids].sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));

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

/** MedQuAD-like questions: templates × subjects, with and without focus. */
const drugs = ['Abacavir', 'Abiraterone', 'Acamprosate', 'Acarbose', 'Acebutolol', 'Acitretin', 'Acyclovir'];
const templates = [
  (s: string) => `What to do in case of emergency or overdose of ${s} ?`,
  (s: string) => `What should I do if I forget a dose of ${s} ?`,
  (s: string) => `What are the brand names of ${s} ?`,
];
const qtypes = ['emergency or overdose', 'forget a dose', 'brand names'];
function drugQuestions(withFocus: boolean): QuestionItem[] {
  return drugs.flatMap((drug, d) =>
    templates.map((template, t) => ({
      id: `${d}/${t}`,
      text: template(drug),
      qtype: qtypes[t],
      ...(withFocus ? { subject: drug } : {}),
    })),
  );
}

describe('normalisation', () => {
  it('lower-cases, applies NFKC, strips punctuation and collapses whitespace', () => {
    assert.equal(normalizeText('  What is (are)  GOUT ?\n'), 'what is are gout');
    assert.equal(normalizeText('ﬁbrosis – “cystic”'), 'fibrosis cystic');
    assert.equal(normalizeText('Ｆｕｌｌ width'), 'full width');
    assert.equal(normalizeText('?!'), '');
  });

  it('compact keys ignore hyphens, spaces, punctuation and accents on Latin letters', () => {
    const key = compactKey('What are the treatments for Schimke immunoosseous dysplasia ?');
    assert.equal(compactKey('What are the treatments for Schimke immuno-osseous dysplasia?'), key);
    assert.equal(compactKey('what are the treatments for schimke immuno osseous dysplasia'), key);
    assert.equal(compactKey('Ménière'), compactKey('Meniere'));
    assert.notEqual(compactKey('type 1A'), compactKey('type 1B'));
    assert.equal(compactKey('?!'), '');
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

describe('question subjects and frames', () => {
  it('takes the focus as the subject and the rest of the question as the frame', () => {
    const [shape] = questionShapes([
      { text: "What are the treatments for Alzheimer's Disease ?", subject: "Alzheimer's disease" },
    ]);
    assert.ok(shape.located);
    assert.deepEqual(shape.words, ['alzheimer', 'disease']);
    assert.deepEqual(shape.frame, ['treat']);
  });

  it('tells a lost accent from another name', () => {
    assert.ok(vowelVariant(['sjgren', 'syndrome'], ['sjogren', 'syndrome']));
    assert.ok(vowelVariant(['mnire', 'disease'], ['meniere', 'disease']));
    assert.ok(!vowelVariant(['fraser', 'syndrome'], ['frasier', 'syndrome']), 'i next to e');
    assert.ok(!vowelVariant(['menke', 'syndrome'], ['muenke', 'syndrome']));
    assert.ok(!vowelVariant(['tietz', 'syndrome'], ['tietze', 'syndrome']), 'at the end of the word');
    assert.ok(!vowelVariant(['sjogren', 'syndrome'], ['sjogren', 'syndrome']), 'equal is not a variant');
  });
});

describe('duplicate questions', () => {
  it('groups exact duplicates after normalisation, hyphen and spacing variants included', () => {
    const result = findQuestionDuplicates(
      items([
        'What is Gout?',
        'what is gout',
        'What is Lupus?',
        'What is immuno-osseous dysplasia?',
        'What is immunoosseous dysplasia',
        '',
      ]),
    );
    assert.equal(result.items, 5, 'empty texts are ignored');
    assert.equal(result.distinct, 3);
    assert.deepEqual(groupsOf(result), [
      ['p0', 'p1'],
      ['p3', 'p4'],
    ]);
    assert.ok(result.groups.every((g) => g.kind === 'exact'));
    assert.equal(result.exactDuplicates, 2);
  });

  it('never groups templated questions about different drugs, with or without focus', () => {
    for (const withFocus of [true, false]) {
      const result = findQuestionDuplicates(drugQuestions(withFocus));
      assert.deepEqual(result.groups, [], withFocus ? 'with focus' : 'templates learned');
    }
  });

  it('groups one subject named differently, asked the same way', () => {
    const q = (id: string, text: string, subject: string, qtype = 'information'): QuestionItem => ({
      id,
      text,
      subject,
      qtype,
    });
    const result = findQuestionDuplicates([
      q('a1', "What is (are) Alzheimer's Disease ?", "Alzheimer's Disease"),
      q('a2', 'What is (are) Alzheimer disease ?', 'Alzheimer disease'),
      q('a3', 'Do you have information about Alzheimers Diseases', 'Alzheimers Diseases'),
      q('b1', 'What is (are) Chronic lymphocytic leukemia (CLL) ?', 'Chronic lymphocytic leukemia (CLL)'),
      q('b2', 'What is (are) Chronic Lymphocytic Leukemia ?', 'Chronic Lymphocytic Leukemia'),
      q('c1', 'How to diagnose Lung cancer - small cell ?', 'Lung cancer - small cell', 'exams and tests'),
      q('c2', 'How is small cell lung cancer diagnosed?', 'Small Cell Lung Cancer', 'exams and tests'),
      q('d1', 'What is (are) Glycogen storage disease type 4 ?', 'Glycogen storage disease type 4'),
      q('d2', 'What is (are) glycogen storage disease type IV ?', 'glycogen storage disease type IV'),
      q('e1', 'What is (are) Sjgren syndrome ?', 'Sjgren syndrome'),
      q('e2', 'What is (are) Sjogren syndrome ?', 'Sjogren syndrome'),
      q('f1', 'What causes Diarrhea - overview ?', 'Diarrhea - overview', 'causes'),
      q('f2', 'What causes Diarrhea ?', 'Diarrhea', 'causes'),
    ]);
    assert.deepEqual(groupsOf(result), [
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
      ['c1', 'c2'],
      ['d1', 'd2'],
      ['e1', 'e2'],
      ['f1', 'f2'],
    ]);
    assert.ok(result.groups.every((g) => g.kind === 'near'));
    assert.equal(groupKeys(result).get('a3'), 'a1');
  });

  it('keeps other subjects, other products and other questions apart', () => {
    const q = (id: string, text: string, subject: string, qtype = 'symptoms'): QuestionItem => ({
      id,
      text,
      subject,
      qtype,
    });
    const result = findQuestionDuplicates([
      q(
        'a',
        'What are the symptoms of Charcot-Marie-Tooth disease type 1A ?',
        'Charcot-Marie-Tooth disease type 1A',
      ),
      q(
        'b',
        'What are the symptoms of Charcot-Marie-Tooth disease type 1B ?',
        'Charcot-Marie-Tooth disease type 1B',
      ),
      q('c', 'What are the symptoms of Hepatitis ?', 'Hepatitis'),
      q('d', 'What are the symptoms of Hepatitis A ?', 'Hepatitis A'),
      q('e', 'What are the symptoms of Asthma - children ?', 'Asthma - children'),
      q('f', 'What are the symptoms of Asthma ?', 'Asthma'),
      q('g', 'What are the brand names of Mifepristone (Korlym) ?', 'Mifepristone (Korlym)', 'brand names'),
      q(
        'h',
        'What are the brand names of Mifepristone (Mifeprex) ?',
        'Mifepristone (Mifeprex)',
        'brand names',
      ),
      q(
        'i',
        'What are the brand names of combination products of Mifepristone (Korlym) ?',
        'Mifepristone (Korlym)',
        'brand names of combination products',
      ),
      q('j', 'What are the symptoms of Fraser syndrome ?', 'Fraser syndrome'),
      q('k', 'What are the symptoms of Frasier syndrome ?', 'Frasier syndrome'),
    ]);
    assert.deepEqual(result.groups, []);
  });

  it('learns template prefixes and suffixes when there is no focus', () => {
    const subjects = ['gout', 'lupus', 'asthma', 'rickets', 'scurvy', 'anemia', 'measles'];
    const questions = subjects.flatMap((s) => [
      { id: `${s}/what`, text: `What is (are) ${s} ?`, qtype: 'information' },
      { id: `${s}/inherited`, text: `Is ${s} inherited ?`, qtype: 'inheritance' },
      { id: `${s}/treat`, text: `What are the treatments for ${s} ?`, qtype: 'treatment' },
    ]);
    const shapes = questionShapes(questions);
    assert.deepEqual(shapes[0].words, ['gout']);
    assert.deepEqual(shapes[1].words, ['gout'], 'the suffix "inherited" is template too');
    const result = findQuestionDuplicates([
      ...questions,
      { id: 'extra', text: 'What is gout?', qtype: 'information' },
    ]);
    assert.deepEqual(groupsOf(result), [['extra', 'gout/what']]);
  });

  it('reads the qtype "unspecified" as unknown', () => {
    const result = findQuestionDuplicates([
      { id: 'a', text: 'What is Gout?', subject: 'Gout', qtype: 'unspecified' },
      { id: 'b', text: 'What is (are) Gout ?', subject: 'Gout', qtype: 'information' },
      { id: 'c', text: 'What are the treatments for Gout?', subject: 'Gout', qtype: 'unspecified' },
    ]);
    assert.deepEqual(groupsOf(result), [['a', 'b']]);
  });
});

describe('duplicate answers', () => {
  const pair = (id: string, question: string, answer: string, focus?: string): DedupeInput => ({
    id,
    question,
    answer,
    document: focus ? { focus } : undefined,
  });
  const opening =
    'The Human Phenotype Ontology provides the following list of signs and symptoms for this condition. If the ' +
    'information is available, the table below includes how often the symptom is seen in people with this condition.';

  it('does not group answers about different subjects that share boilerplate or a template', () => {
    const pairs = [
      pair(
        'a',
        'What are the symptoms of Kyrle disease?',
        `${opening} Skin papules, hyperkeratosis.`,
        'Kyrle disease',
      ),
      pair(
        'b',
        'What are the symptoms of Uhl anomaly?',
        `${opening} Arrhythmia, heart failure.`,
        'Uhl anomaly',
      ),
      pair(
        'c',
        'What is hepatitis A?',
        'Hepatitis A is a virus, or infection, that causes liver disease and inflammation of the liver.',
        'Hepatitis A',
      ),
      pair(
        'd',
        'What is hepatitis C?',
        'Hepatitis C is a virus, or infection, that causes liver disease and inflammation of the liver.',
        'Hepatitis C',
      ),
      pair(
        'e',
        'Is Kyrle disease inherited?',
        'This condition is inherited in an autosomal recessive pattern.',
        'Kyrle disease',
      ),
      pair(
        'f',
        'Is Uhl anomaly inherited?',
        'This condition is inherited in an autosomal recessive pattern.',
        'Uhl anomaly',
      ),
    ];
    assert.deepEqual(dedupePairs(pairs).answers.groups, []);
  });

  it('groups an answer repeated nearly word for word about the same subject', () => {
    const body =
      'Mutations in the FGFR3 gene cause achondroplasia. The FGFR3 gene provides instructions for making a protein ' +
      'that is involved in the development and maintenance of bone and brain tissue. Two specific mutations in the ' +
      'FGFR3 gene are responsible for almost all cases of achondroplasia.';
    const pairs = [
      pair('gard', 'What causes achondroplasia?', `What causes achondroplasia? ${body}`, 'Achondroplasia'),
      pair('ghr', 'What are the genetic changes related to achondroplasia?', body, 'achondroplasia'),
      pair(
        'part',
        'What is achondroplasia?',
        'Mutations in the FGFR3 gene cause achondroplasia.',
        'Achondroplasia',
      ),
      pair(
        'copy',
        'What are the genetic changes related to hypochondroplasia?',
        body.replace(/achondroplasia/g, 'hypochondroplasia'),
        'hypochondroplasia',
      ),
    ];
    const report = dedupePairs(pairs);
    assert.deepEqual(groupsOf(report.answers), [['gard', 'ghr']]);
    assert.ok(report.answers.groups[0].similarity >= 0.8 && report.answers.groups[0].similarity < 1);
    assert.equal(report.answers.items, 4);
  });

  it('measures word-level edit similarity exactly', () => {
    const words = (text: string) => Int32Array.from(text.split(' '), (w) => w.charCodeAt(0));
    assert.equal(wordSimilarity(words('a b c d'), words('a b c d'), 0.8), 1);
    assert.equal(wordSimilarity(words('a b c d e'), words('a b x d e'), 0), 0.8);
    assert.equal(
      wordSimilarity(words('a b c d e'), words('a b x d e'), 0.81),
      0,
      'stops below the threshold',
    );
    assert.equal(wordSimilarity(words('a b'), words('c d e f g h'), 0.5), 0);
  });

  it('reports questions and non-empty answers separately', () => {
    const pairs = [
      pair('a', 'What is gout?', 'A form of arthritis.', 'Gout'),
      pair('b', 'What is GOUT ?', '', 'Gout'),
      pair('c', 'Who gets gout?', 'A form of arthritis!', 'Gout'),
      pair('d', 'Who treats gout?', '', 'Gout'),
    ];
    const report = dedupePairs(pairs);
    assert.deepEqual(report.questions.groups[0].ids, ['a', 'b']);
    assert.deepEqual(report.answers.groups[0].ids, ['a', 'c']);
    assert.equal(report.answers.items, 2);
    assert.equal(report.shingleSize, 3, 'the report names the shingle size the search used');
    assert.throws(() => findDuplicates([], { threshold: 0 }), /threshold/);
  });
});

describe('duplicate texts without a subject (MinHash/LSH)', () => {
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

  it('ignores shingles that many texts share', () => {
    const boilerplate =
      'please read the following important information very carefully before you decide to continue';
    const texts = Array.from({ length: 40 }, (_, i) => `${boilerplate} topic${i}`);
    assert.deepEqual(findDuplicates(items(texts), { maxDocumentFrequency: 10 }).groups, []);
    assert.equal(
      findDuplicates(items(texts), { maxDocumentFrequency: 100 }).groups.length,
      1,
      'all boilerplate counts',
    );
  });

  it('chooses banding with ≥ 99% detection probability at the threshold', () => {
    for (const threshold of [0.5, 0.8, 0.9]) {
      const { bands, rows } = chooseBanding(threshold, 128);
      assert.ok(bands * rows <= 128);
      assert.ok(1 - Math.pow(1 - Math.pow(threshold, rows), bands) >= 0.99);
    }
  });
});
