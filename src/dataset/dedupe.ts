/**
 * Exact and near-duplicate detection for questions and answers. Two pairs are duplicates when they ask the same thing
 * about the same subject; templated wording shared by many pairs never makes them duplicates.
 *
 * Exact: the same compactKey (case, punctuation, hyphens and spaces ignored). Near, for questions: the same subject
 * (the pair's focus, or the question with its template frame removed) asked the same way (frames of the same content
 * words, and the same qtype where both have one); see questionShape.ts. Near, for answers: answers about the same
 * subject that say the same thing in nearly the same words (word-level edit similarity ≥ threshold). Only answers
 * whose word shingles overlap are aligned, every shingle weighted down by how many answers contain it (document
 * frequency), so boilerplate such as "The Human Phenotype Ontology provides the following list of signs and symptoms
 * for …" never makes two answers candidates. Only texts about one subject are compared, so both searches are linear
 * in the number of pairs. Texts without any subject fall back to MinHash/LSH over their informative shingles
 * (minhash.ts). Matches are merged with union-find, so a group is everything connected by "duplicate of" links; the
 * split keeps each question group together.
 */
import { commonShingles, defaultMaxDocumentFrequency, informativeShingles, lshPairs } from './minhash';
import { collect, distinctTexts, UnionFind, type DuplicateResult } from './duplicateGroups';
import { normalizeText, shingleHashes } from './normalize';
import { frameSimilarity, questionShapes, sameSubjectPairs, type QuestionShape } from './questionShape';
import { WordIds, wordSimilarity } from './wordSimilarity';
import { pushAll } from '../util/arrays';

export { chooseBanding, defaultMaxDocumentFrequency } from './minhash';
export type { DuplicateGroup, DuplicateResult } from './duplicateGroups';
export { wordSimilarity } from './wordSimilarity';

export interface DedupeOptions {
  /** Similarity at or above which two texts are near-duplicates (default 0.8): for answers about one subject their
   * word-level edit similarity, for questions about one subject the Jaccard similarity of their frames, for texts
   * without a subject the Jaccard similarity of their informative shingles. */
  threshold?: number;
  /** Words per shingle (default 3). */
  shingleSize?: number;
  /** Shingles found in more texts than this are boilerplate: weighted down (answers with a subject) or ignored
   * (texts without one). Default: 1 in 1,000 texts, at least 10. */
  maxDocumentFrequency?: number;
  /** MinHash signature length for texts without a subject (default 128). */
  permutations?: number;
  /** Seed of the MinHash functions (default 1); results do not depend on it except through LSH misses. */
  seed?: number;
  /** Record every verified pair (slower: no union-find short cut); used to measure recall. */
  collectPairs?: boolean;
  signal?: AbortSignal;
}

export interface TextItem {
  id: string;
  text: string;
  /** What the text is about: the shape of its pair's question. Texts are then duplicates only of texts about the
   * same subject: the same wording about hepatitis A and about hepatitis C is boilerplate, not a duplicate. */
  about?: Pick<QuestionShape, 'keys' | 'words' | 'qualifier'>;
}

export interface QuestionItem {
  id: string;
  text: string;
  /** What the question is about: the MedQuAD focus, or a CSV/JSONL focus column. */
  subject?: string;
  /** Question type; two questions with different types never match ('unspecified' matches any). */
  qtype?: string;
}

function checkThreshold(options: DedupeOptions): number {
  const threshold = options.threshold ?? 0.8;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], got ${threshold}`);
  return threshold;
}

/** Answers about one subject are aligned word by word only when this share of their weighted shingles agrees. */
const minSharedWording = 0.2;

/** Weighted Jaccard similarity of two sorted shingle sets: shared weight over the weight of their union. */
function weightedJaccard(
  a: Uint32Array,
  b: Uint32Array,
  totalA: number,
  totalB: number,
  weightOf: (hash: number) => number,
): number {
  let shared = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) {
      shared += weightOf(a[i]);
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return shared / (totalA + totalB - shared);
}

/**
 * Duplicate texts (answers, or any free text): the same compact key, or near-duplicates. With subjects (`about`):
 * texts about the same subject whose word-level edit similarity reaches the threshold, among those whose shingles,
 * each weighted min(1, maxDocumentFrequency / document frequency), agree at least minSharedWording: an answer that
 * only shares boilerplate with another, or only repeats a part of a much longer one, is no duplicate of it. Without
 * subjects: Jaccard of the shingles that at most maxDocumentFrequency texts contain ≥ threshold, candidates from
 * MinHash/LSH.
 */
export function findDuplicates(items: readonly TextItem[], options: DedupeOptions = {}): DuplicateResult {
  const threshold = checkThreshold(options);
  const bySubject = items.some((item) => item.about !== undefined);
  const members = distinctTexts(items, bySubject);
  const n = members.length;
  const unionFind = new UnionFind(n);
  let candidatesChecked = 0;
  let nearPairs = 0;
  const pairs: [number, number, number][] | undefined = options.collectPairs ? [] : undefined;
  const linked = (i: number, j: number): boolean => !pairs && unionFind.find(i) === unionFind.find(j);
  const link = (i: number, j: number, similarity: number): void => {
    nearPairs++;
    pairs?.push([Math.min(i, j), Math.max(i, j), similarity]);
    unionFind.union(i, j, similarity);
  };

  if (threshold < 1 && n > 1) {
    options.signal?.throwIfAborted();
    const shingleSize = options.shingleSize ?? 3;
    const texts = members.map((list) => normalizeText(items[list[0]].text));
    const sets = texts.map((text) => shingleHashes(text, shingleSize));
    const maxDocumentFrequency = options.maxDocumentFrequency ?? defaultMaxDocumentFrequency(n);
    if (bySubject) {
      const common = commonShingles(sets, maxDocumentFrequency);
      const weightOf = (hash: number): number => {
        const frequency = common.get(hash);
        return frequency === undefined ? 1 : maxDocumentFrequency / frequency;
      };
      const totals = sets.map((set) => set.reduce((sum, hash) => sum + weightOf(hash), 0));
      const none = { keys: [], words: [], qualifier: '' };
      const shapes = members.map((list) => ({ ...none, ...items[list[0]].about, frame: [], located: true }));
      const wordIds = new WordIds();
      const words = new Map<number, Int32Array>();
      const wordsOf = (d: number): Int32Array => {
        let ids = words.get(d);
        if (!ids) words.set(d, (ids = wordIds.of(texts[d])));
        return ids;
      };
      options.signal?.throwIfAborted();
      sameSubjectPairs(shapes, shapes.keys(), (i, j) => {
        if (linked(i, j)) return;
        if (weightedJaccard(sets[i], sets[j], totals[i], totals[j], weightOf) < minSharedWording) return;
        candidatesChecked++;
        const similarity = wordSimilarity(wordsOf(i), wordsOf(j), threshold);
        if (similarity >= threshold) link(i, j, similarity);
      });
    } else {
      const lsh = {
        permutations: options.permutations ?? 128,
        seed: options.seed ?? 1,
        signal: options.signal,
      };
      const informative = informativeShingles(sets, maxDocumentFrequency);
      candidatesChecked = lshPairs(informative, threshold, { ...lsh, skip: linked }, link);
    }
  }
  return collect(items, members, unionFind, { candidatesChecked, nearPairs, pairs });
}

/**
 * Duplicate questions: the same compact key, or the same subject asked the same way (frame similarity ≥ threshold,
 * qtypes equal unless one is unspecified).
 */
export function findQuestionDuplicates(
  items: readonly QuestionItem[],
  options: DedupeOptions = {},
): DuplicateResult {
  return questionDuplicates(items, questionShapes(items), options);
}

function questionDuplicates(
  items: readonly QuestionItem[],
  shapes: readonly QuestionShape[],
  options: DedupeOptions,
): DuplicateResult {
  const threshold = checkThreshold(options);
  const members = distinctTexts(items);
  const n = members.length;
  const unionFind = new UnionFind(n);
  let candidatesChecked = 0;
  let nearPairs = 0;
  const pairs: [number, number, number][] | undefined = options.collectPairs ? [] : undefined;

  if (threshold < 1 && n > 1) {
    options.signal?.throwIfAborted();
    const distinctOf = new Int32Array(items.length);
    members.forEach((list, d) => list.forEach((i) => (distinctOf[i] = d)));
    const qtypes = items.map(qtypeOf);
    // One entry per distinct text, qtype and shape: exact duplicates need no comparing.
    const entries: number[] = [];
    for (const list of members) {
      const kept: number[] = [];
      for (const i of list) {
        if (!kept.some((k) => qtypes[k] === qtypes[i] && sameShape(shapes[k], shapes[i]))) kept.push(i);
      }
      pushAll(entries, kept);
    }
    sameSubjectPairs(shapes, entries, (i, j) => {
      const [di, dj] = [distinctOf[i], distinctOf[j]];
      if (di === dj || (!pairs && unionFind.find(di) === unionFind.find(dj))) return;
      const [qi, qj] = [qtypes[i], qtypes[j]];
      if (qi !== qj && qi !== '' && qj !== '') return;
      candidatesChecked++;
      const similarity = frameSimilarity(shapes[i].frame, shapes[j].frame);
      // A frame found by templates may still hold a word of the subject, and one such word is all that tells
      // "Flurbiprofen" from "Flurbiprofen Ophthalmic": then only equal frames match.
      const located = shapes[i].located && shapes[j].located;
      if (similarity >= (located ? threshold : 1)) {
        nearPairs++;
        pairs?.push([Math.min(di, dj), Math.max(di, dj), similarity]);
        unionFind.union(di, dj, similarity);
      }
    });
  }
  return collect(items, members, unionFind, { candidatesChecked, nearPairs, pairs });
}

function sameShape(a: QuestionShape, b: QuestionShape): boolean {
  return (
    a.keys[0] === b.keys[0] &&
    a.qualifier === b.qualifier &&
    a.located === b.located &&
    a.frame.join(' ') === b.frame.join(' ')
  );
}

function qtypeOf(item: QuestionItem): string {
  const qtype = item.qtype?.trim().toLowerCase() ?? '';
  return qtype === 'unspecified' ? '' : qtype;
}

export interface DedupeReport {
  threshold: number;
  shingleSize: number;
  questions: DuplicateResult;
  answers: DuplicateResult;
}

/** What dedupe and the split read from a pair: the focus and qtype tell templated questions apart (see above). */
export interface DedupeInput {
  id: string;
  question: string;
  answer: string;
  qtype?: string;
  document?: { focus?: string };
}

export function questionItem(pair: DedupeInput): QuestionItem {
  return { id: pair.id, text: pair.question, subject: pair.document?.focus, qtype: pair.qtype };
}

/**
 * Duplicates among questions and among (non-empty) answers of the given pairs (pass curated pairs to see edits).
 * Answers are compared only with answers whose questions have the same subject.
 */
export function dedupePairs(pairs: readonly DedupeInput[], options: DedupeOptions = {}): DedupeReport {
  const items = pairs.map(questionItem);
  const shapes = questionShapes(items);
  const questions = questionDuplicates(items, shapes, options);
  const answers = findDuplicates(
    pairs.flatMap((pair, i) =>
      pair.answer.trim() === '' ? [] : [{ id: pair.id, text: pair.answer, about: shapes[i] }],
    ),
    options,
  );
  return { threshold: options.threshold ?? 0.8, shingleSize: options.shingleSize ?? 3, questions, answers };
}

/** Maps every id that belongs to a duplicate group onto the group's first id (what the split keeps together). */
export function groupKeys(result: DuplicateResult): Map<string, string> {
  const keys = new Map<string, string>();
  for (const group of result.groups) for (const id of group.ids) keys.set(id, group.ids[0]);
  return keys;
}
