/**
 * Seeded, qtype-stratified, duplicate-group-aware train/validation/test split.
 *
 * Units are duplicate question groups (the same text up to case, punctuation, hyphens and spaces, or the same subject
 * asked the same way; see dedupe.ts) and single pairs; a unit always lands in one split, so no question leaks from
 * train into test in another wording. Within each qtype stratum the units are shuffled with mulberry32(seed) and
 * each goes to the split that is furthest below its target count. Same pairs, overlay, seed and ratios →
 * byte-identical split.json (no timestamps in it).
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomicFile';
import { findQuestionDuplicates, groupKeys, questionItem } from './dedupe';
import { compareIds, sha256 } from './hash';
import type { QaPair, SplitName } from './model';
import { mulberry32, shuffle } from './random';

export const SPLIT_FORMAT = 'medqa-split';
export const SPLIT_VERSION = 1;
export const splitNames: readonly SplitName[] = ['train', 'validation', 'test'];

export interface SplitOptions {
  seed?: number;
  /** Train, validation, test shares; normalised to sum to 1 (default 81/9/10). */
  ratios?: readonly [number, number, number];
  /** Near-duplicate threshold of the question groups (frame similarity for one subject; default as in dedupe). */
  threshold?: number;
  signal?: AbortSignal;
}

export interface SplitAssignment {
  id: string;
  split: SplitName;
}

export interface SplitFile {
  format: typeof SPLIT_FORMAT;
  version: number;
  seed: number;
  ratios: [number, number, number];
  threshold: number;
  counts: Record<SplitName, number> & { excluded: number; unanswered: number };
  /** Duplicate groups (2+ pairs) that were each kept inside one split. */
  groups: number;
  sourceHash: string;
  overlayHash: string;
  /** sha256 of the assignments (one `id\tsplit` line each, in id order). */
  splitHash: string;
  assignments: SplitAssignment[];
}

/**
 * Pairs as the split sees them: curated text, whether the overlay excludes them, and the document's focus where
 * there is one (it tells templated questions about different subjects apart; without it the template is learned).
 */
export type SplitInput = Pick<QaPair, 'id' | 'qtype' | 'question' | 'answer'> & {
  excluded?: unknown;
  document?: { focus?: string };
};

export function parseRatios(text: string): [number, number, number] {
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.length !== 3 || parts.some((value) => !Number.isFinite(value) || value < 0)) {
    throw new Error(`ratios must be three non-negative numbers like "81,9,10", got "${text}"`);
  }
  return normalizeRatios(parts as [number, number, number]);
}

export function normalizeRatios(ratios: readonly [number, number, number]): [number, number, number] {
  const sum = ratios[0] + ratios[1] + ratios[2];
  if (!(sum > 0) || ratios.some((value) => value < 0))
    throw new Error('ratios must be non-negative and not all zero');
  // Rounded so the file does not carry float noise such as 0.09000000000000001.
  return ratios.map((value) => Math.round((value / sum) * 1e6) / 1e6) as [number, number, number];
}

/** Split units: the pairs of one duplicate group go together; every other pair is a unit of its own. */
function splitUnits(included: readonly SplitInput[], groupOf: Map<string, string>): SplitInput[][] {
  const units = new Map<string, SplitInput[]>();
  for (const pair of included) {
    const key = groupOf.get(pair.id) ?? pair.id;
    const unit = units.get(key);
    if (unit) unit.push(pair);
    else units.set(key, [pair]);
  }
  return [...units.values()];
}

/** Stratum of a unit: its most common qtype (ties → alphabetical), so a mixed group still lands somewhere sensible. */
function strataOf(units: readonly SplitInput[][]): Map<string, SplitInput[][]> {
  const strata = new Map<string, SplitInput[][]>();
  for (const unit of units) {
    const counts = new Map<string, number>();
    for (const pair of unit) counts.set(pair.qtype, (counts.get(pair.qtype) ?? 0) + 1);
    const qtype = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareIds(a[0], b[0]))[0][0];
    const list = strata.get(qtype);
    if (list) list.push(unit);
    else strata.set(qtype, [unit]);
  }
  return strata;
}

/** Deals each stratum's shuffled units to the split furthest below its target; assignments sorted by id. */
function assignStrata(
  strata: Map<string, SplitInput[][]>,
  ratios: readonly [number, number, number],
  random: () => number,
): { assignments: SplitAssignment[]; counts: Record<SplitName, number> } {
  const assignments: SplitAssignment[] = [];
  const counts = { train: 0, validation: 0, test: 0 };
  // What earlier strata owe each split. Without it every small stratum (1–3 pairs) would start at zero and
  // hand its pairs to train, starving validation and test across many rare qtypes.
  const carry = [0, 0, 0];
  for (const qtype of [...strata.keys()].sort(compareIds)) {
    const stratumUnits = shuffle(strata.get(qtype)!, random);
    const size = stratumUnits.reduce((sum, unit) => sum + unit.length, 0);
    const targets = ratios.map((ratio) => ratio * size);
    const filled = [0, 0, 0];
    const deficit = (s: number): number => targets[s] - filled[s] + carry[s];
    for (const unit of stratumUnits) {
      // The split furthest below its target takes the unit (ties → train, validation, test order).
      let best = 0;
      for (let s = 1; s < 3; s++) if (deficit(s) > deficit(best)) best = s;
      filled[best] += unit.length;
      const split = splitNames[best];
      counts[split] += unit.length;
      for (const pair of unit) assignments.push({ id: pair.id, split });
    }
    for (let s = 0; s < 3; s++) carry[s] += targets[s] - filled[s];
  }
  assignments.sort((a, b) => compareIds(a.id, b.id));
  return { assignments, counts };
}

export function createSplit(
  pairs: readonly SplitInput[],
  hashes: { sourceHash: string; overlayHash: string },
  options: SplitOptions = {},
): SplitFile {
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const ratios = normalizeRatios(options.ratios ?? [81, 9, 10]);
  const threshold = options.threshold ?? 0.8;

  let excluded = 0;
  let unanswered = 0;
  const included: SplitInput[] = [];
  for (const pair of pairs) {
    if (pair.excluded) excluded++;
    else if (pair.answer.trim() === '') unanswered++;
    else included.push(pair);
  }
  // Sorting first makes the result independent of import order.
  included.sort((a, b) => compareIds(a.id, b.id));

  const duplicates = findQuestionDuplicates(included.map(questionItem), {
    threshold,
    signal: options.signal,
  });
  const units = splitUnits(included, groupKeys(duplicates));
  const { assignments, counts } = assignStrata(strataOf(units), ratios, mulberry32(seed));
  return {
    format: SPLIT_FORMAT,
    version: SPLIT_VERSION,
    seed,
    ratios,
    threshold,
    counts: { ...counts, excluded, unanswered },
    groups: duplicates.groups.length,
    sourceHash: hashes.sourceHash,
    overlayHash: hashes.overlayHash,
    splitHash: sha256(assignments.map((a) => `${a.id}\t${a.split}\n`).join('')),
    assignments,
  };
}

/** Stable text: header fields first, then one assignment per line (diff-friendly, byte-identical for equal input). */
export function serializeSplit(split: SplitFile): string {
  const { assignments, ...header } = split;
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
  const lines = assignments.map((a) => `    ${JSON.stringify(a)}`).join(',\n');
  return `${head},\n  "assignments": [\n${lines}\n  ]\n}\n`;
}

export async function writeSplit(file: string, split: SplitFile): Promise<void> {
  await writeFileAtomic(file, serializeSplit(split));
}

export async function readSplit(file: string): Promise<SplitFile> {
  let parsed: Partial<SplitFile>;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<SplitFile>;
  } catch (error) {
    throw new Error(`Cannot read split file ${file}: ${(error as Error).message}`);
  }
  if (parsed.format !== SPLIT_FORMAT || !Array.isArray(parsed.assignments)) {
    throw new Error(
      `${file} is not a MedQA split file (expected "format": "${SPLIT_FORMAT}"); create one with "split".`,
    );
  }
  if (typeof parsed.version !== 'number' || parsed.version > SPLIT_VERSION) {
    throw new Error(
      `${file} has split version ${String(parsed.version)}, newer than this MedQA Studio understands.`,
    );
  }
  for (const assignment of parsed.assignments) {
    if (typeof assignment?.id !== 'string' || !splitNames.includes(assignment.split)) {
      throw new Error(`${file} has an invalid assignment: ${JSON.stringify(assignment)}`);
    }
  }
  return parsed as SplitFile;
}
