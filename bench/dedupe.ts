/**
 * Benchmark (c): near-duplicate detection over every MedQuAD question. Targets: < 5 s for all questions, and
 * recall ≥ 0.95 against exact pairwise Jaccard on a seeded 2,000-question sample (the reference, computed here by
 * brute force over all ~2 million pairs with the same shingles). Recall counts pairs of different normalised texts;
 * identical ones are grouped exactly by construction (and reported separately).
 */
import { findDuplicates } from '../src/dataset/dedupe';
import { importDataset } from '../src/dataset/import';
import { jaccard, normalizeText, shingleHashes } from '../src/dataset/normalize';
import { mulberry32, shuffle } from '../src/dataset/random';
import { median, report, requireShared, runIfMain, seconds } from './support';

export async function benchDedupe(runs = 3, threshold = 0.8, sampleSize = 2000): Promise<boolean> {
  const { pairs } = await importDataset(requireShared('data/MedQuAD'));
  const questions = pairs.map((pair) => ({ id: pair.id, text: pair.question }));
  const times: number[] = [];
  let groups = 0;
  let nearPairs = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const result = findDuplicates(questions, { threshold });
    times.push(performance.now() - started);
    groups = result.groups.length;
    nearPairs = result.nearPairs;
  }

  // Recall on a sample. A plain random sample of 47k questions has few near pairs, so half the sample is drawn from
  // questions that have a near-duplicate somewhere (found by brute force inside each qtype's templates is too slow;
  // instead: questions that share their first four words with another), the rest uniformly.
  const random = mulberry32(2024);
  const byPrefix = new Map<string, number[]>();
  questions.forEach((q, i) => {
    const prefix = normalizeText(q.text).split(' ').slice(0, 4).join(' ');
    const list = byPrefix.get(prefix);
    if (list) list.push(i);
    else byPrefix.set(prefix, [i]);
  });
  const clustered = shuffle([...byPrefix.values()].filter((list) => list.length > 1).flat(), random).slice(
    0,
    sampleSize / 2,
  );
  const chosen = new Set(clustered);
  for (const i of shuffle(
    questions.map((_, i) => i),
    random,
  )) {
    if (chosen.size >= sampleSize) break;
    chosen.add(i);
  }
  const sample = [...chosen].sort((a, b) => a - b).map((i) => questions[i]);
  const normalized = sample.map((q) => normalizeText(q.text));
  const sets = normalized.map((text) => shingleHashes(text, 3));
  const bruteStarted = performance.now();
  const truth: string[] = [];
  let identical = 0;
  for (let i = 0; i < sample.length; i++) {
    for (let j = i + 1; j < sample.length; j++) {
      if (jaccard(sets[i], sets[j]) < threshold) continue;
      if (normalized[i] === normalized[j]) identical++;
      else truth.push(`${i}-${j}`);
    }
  }
  const bruteMs = performance.now() - bruteStarted;
  const found = findDuplicates(sample, { threshold, collectPairs: true });
  const foundPairs = new Set(found.pairs!.map(([i, j]) => `${Math.min(i, j)}-${Math.max(i, j)}`));
  // collectPairs names each distinct text by its first item; map every true pair onto those representatives.
  const firstOf = new Map<string, number>();
  normalized.forEach((text, i) => {
    if (!firstOf.has(text)) firstOf.set(text, i);
  });
  const hits = truth.filter((pair) => {
    const [i, j] = pair.split('-').map(Number);
    const a = firstOf.get(normalized[i])!;
    const b = firstOf.get(normalized[j])!;
    return foundPairs.has(`${Math.min(a, b)}-${Math.max(a, b)}`);
  }).length;
  const recall = truth.length ? hits / truth.length : 1;
  const time = median(times);
  return report(
    'near-duplicate questions',
    `${questions.length} questions in ${seconds(time)} median (target < 5 s): ${groups} groups, ${nearPairs} near pairs; ` +
      `recall ${recall.toFixed(4)} on a ${sample.length}-question sample (${hits}/${truth.length} near pairs at ` +
      `Jaccard ≥ ${threshold}, plus ${identical} identical pairs; brute force took ${seconds(bruteMs)}) (target ≥ 0.95)`,
    time < 5000 && recall >= 0.95 && truth.length > 0,
  );
}

runIfMain('dedupe', () => benchDedupe());
