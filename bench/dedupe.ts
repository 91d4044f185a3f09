/**
 * Benchmark (c), target P3: near-duplicate detection over every MedQuAD question in < 5 s, both with the documents'
 * <Focus> and without it (CSV/JSONL imports: the templates are learned). The reference, measured in the same run, is
 * the subject-less MinHash/LSH search over informative shingles on the same questions (what dedupe did before it
 * knew subjects). Also: questions and answers together (dedupePairs, what the Find Duplicates command runs), and the
 * recall of MinHash/LSH (still used for texts without a subject) against exact pairwise Jaccard of informative
 * shingles on a seeded sample of 2,000 answers (target ≥ 0.95).
 */
import { dedupePairs, findDuplicates, findQuestionDuplicates, questionItem } from '../src/dataset/dedupe';
import { importDataset } from '../src/dataset/import';
import { defaultMaxDocumentFrequency, informativeShingles } from '../src/dataset/minhash';
import { compactKey, jaccard, normalizeText, shingleHashes } from '../src/dataset/normalize';
import { mulberry32, shuffle } from '../src/dataset/random';
import { median, report, requireShared, runIfMain, seconds } from './support';

/** Median wall-clock and CPU milliseconds (CPU time tells a busy machine from slow code). */
function timed<T>(runs: number, run: () => T): { ms: number; cpu: number; result: T } {
  const times: number[] = [];
  const cpu: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const usage = process.cpuUsage();
    result = run();
    const used = process.cpuUsage(usage);
    times.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  return { ms: median(times), cpu: median(cpu), result };
}

const wallAndCpu = (t: { ms: number; cpu: number }): string => `${seconds(t.ms)} (CPU ${seconds(t.cpu)})`;

export async function benchDedupe(runs = 3, threshold = 0.8, sampleSize = 2000): Promise<boolean> {
  const { pairs } = await importDataset(requireShared('data/MedQuAD'));
  const withFocus = pairs.map(questionItem);
  const withoutFocus = pairs.map(({ id, qtype, question }) => ({ id, qtype, text: question }));
  const texts = pairs.map((pair) => ({ id: pair.id, text: pair.question }));

  const ours = timed(runs, () => findQuestionDuplicates(withFocus, { threshold }));
  const learned = timed(runs, () => findQuestionDuplicates(withoutFocus, { threshold }));
  const reference = timed(runs, () => findDuplicates(texts, { threshold }));
  const both = timed(runs, () => dedupePairs(pairs, { threshold }));
  const largest = ours.result.groups[0];
  const questionsOk = report(
    'near-duplicate questions (P3)',
    `${pairs.length} questions in ${wallAndCpu(ours)} median with <Focus>, ${wallAndCpu(learned)} with ` +
      `learned templates (target < 5 s); MinHash/LSH over shingles ${wallAndCpu(reference)} → ` +
      `${(reference.ms / ours.ms).toFixed(2)}×; ${ours.result.groups.length} groups, largest ${largest.ids.length} ` +
      `("${largest.sample}"); questions and answers together ${wallAndCpu(both)} ` +
      `(${both.result.answers.groups.length} answer groups)`,
    ours.ms < 5000 && learned.ms < 5000,
  );

  // Recall of MinHash/LSH on a sample of answers. A plain random sample has few near pairs, so half the sample is
  // answers that share their first four words with another, the rest uniform.
  const answers = pairs.filter((p) => p.answer.trim() !== '').map((p) => ({ id: p.id, text: p.answer }));
  const random = mulberry32(2024);
  const byPrefix = new Map<string, number[]>();
  answers.forEach((q, i) => {
    const prefix = normalizeText(q.text).split(' ').slice(0, 4).join(' ');
    const list = byPrefix.get(prefix);
    if (list) list.push(i);
    else byPrefix.set(prefix, [i]);
  });
  const chosen = new Set(
    shuffle([...byPrefix.values()].filter((list) => list.length > 1).flat(), random).slice(0, sampleSize / 2),
  );
  for (const i of shuffle(
    answers.map((_, i) => i),
    random,
  )) {
    if (chosen.size >= sampleSize) break;
    chosen.add(i);
  }
  const sample = [...chosen].sort((a, b) => a - b).map((i) => answers[i]);
  // The same sets findDuplicates compares: one per distinct compact key, boilerplate shingles dropped.
  const firsts = new Map<string, number>();
  sample.forEach((q, i) => {
    if (!firsts.has(compactKey(q.text))) firsts.set(compactKey(q.text), i);
  });
  const distinct = [...firsts.values()];
  const sets = informativeShingles(
    distinct.map((i) => shingleHashes(normalizeText(sample[i].text), 3)),
    defaultMaxDocumentFrequency(distinct.length),
  );
  const bruteStarted = performance.now();
  const truth: string[] = [];
  for (let a = 0; a < distinct.length; a++) {
    for (let b = a + 1; b < distinct.length; b++) {
      if (sets[a].length > 0 && sets[b].length > 0 && jaccard(sets[a], sets[b]) >= threshold)
        truth.push(`${distinct[a]}-${distinct[b]}`);
    }
  }
  const bruteMs = performance.now() - bruteStarted;
  const found = new Set(
    findDuplicates(sample, { threshold, collectPairs: true }).pairs!.map(([i, j]) => `${i}-${j}`),
  );
  const hits = truth.filter((pair) => found.has(pair)).length;
  const recall = truth.length ? hits / truth.length : 1;
  const lshOk = report(
    'MinHash/LSH recall',
    `${recall.toFixed(4)} on a ${sample.length}-answer sample (${hits}/${truth.length} pairs at Jaccard ≥ ` +
      `${threshold} of informative shingles; brute force took ${seconds(bruteMs)}) (target ≥ 0.95)`,
    recall >= 0.95 && truth.length > 0,
  );
  return questionsOk && lshOk;
}

runIfMain('dedupe', () => benchDedupe());
