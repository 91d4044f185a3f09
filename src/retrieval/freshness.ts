/**
 * Whether a retrieval index still matches the curated data (no vscode import). The build records a hash of the
 * pairs file it indexed; the view compares it with the hash of the file the curated data would give now. That hash
 * is a sha256 over the sha256 of each line, so after a curation change only the changed pair's line is rendered
 * again (`CuratedLines`): rendering all 16k answered MedQuAD pairs takes a noticeable fraction of a second, a
 * pair's line does not.
 */
import { createHash } from 'node:crypto';
import { chatRecord, type ExportInput } from '../dataset/export';
import { compareIds } from '../dataset/hash';
import type { SplitFile } from '../dataset/split';

function lineDigest(line: string): Buffer {
  return createHash('sha256').update(line).digest();
}

/** The hash of a pairs file, from its lines in file order (a build record's `pairsHash`). */
export function pairsHash(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (const line of lines) hash.update(lineDigest(line));
  return hash.digest('hex');
}

/** The line a pair contributes to a pairs file, or undefined when it is left out (excluded, unanswered). */
export function retrievalLine(pair: ExportInput, split?: ReadonlyMap<string, string>): string | undefined {
  if (pair.excluded || pair.answer.trim() === '') return undefined;
  const assigned = split?.get(pair.id) as 'train' | 'validation' | 'test' | undefined;
  return chatRecord(pair, undefined, { split: assigned });
}

/**
 * The digests of the lines the curated data gives now, kept up to date pair by pair. `hash()` equals
 * `pairsHash(retrievalLines(pairs, split))` for the same pairs.
 */
export class CuratedLines {
  private readonly digests = new Map<string, Buffer>();
  private order: string[] | undefined;
  private readonly assigned: ReadonlyMap<string, string> | undefined;

  constructor(split?: SplitFile) {
    this.assigned = split && new Map(split.assignments.map((a) => [a.id, a.split]));
  }

  reset(pairs: readonly ExportInput[]): this {
    this.digests.clear();
    for (const pair of pairs) this.update(pair.id, pair);
    this.order = undefined;
    return this;
  }

  /** The pair's curation changed (undefined: it is gone). */
  update(id: string, pair: ExportInput | undefined): void {
    const line = pair && retrievalLine(pair, this.assigned);
    const had = this.digests.has(id);
    if (line === undefined) this.digests.delete(id);
    else this.digests.set(id, lineDigest(line));
    if (had !== (line !== undefined)) this.order = undefined;
  }

  get size(): number {
    return this.digests.size;
  }

  hash(): string {
    this.order ??= [...this.digests.keys()].sort(compareIds);
    const hash = createHash('sha256');
    for (const id of this.order) hash.update(this.digests.get(id)!);
    return hash.digest('hex');
  }
}

export type Freshness =
  | { state: 'fresh' }
  | { state: 'stale'; why: string }
  /** Built outside the extension: nothing to compare with. */
  | { state: 'unknown'; why: string };

/** What freshness reads of an index's build record (indexes.ts's BuildRecord; not imported: indexes imports this). */
interface RecordedBuild {
  scope: 'all' | 'train';
  splitFile: string | null;
  splitHash: string | null;
  pairsHash: string;
}

/**
 * Whether an index still matches the curated data. `split`: the index's split file as it is now (train scope),
 * undefined when it is gone; `currentHash`: the hash of the pairs file the curated data gives now for a split.
 */
export function freshness(
  entry: { record?: RecordedBuild },
  split: SplitFile | undefined,
  currentHash: (split: SplitFile | undefined) => string,
): Freshness {
  const record = entry.record;
  if (!record) return { state: 'unknown', why: 'built outside MedQA Studio' };
  if (record.scope === 'train') {
    if (!split) return { state: 'stale', why: `its split file ${record.splitFile ?? ''} is gone` };
    if (split.splitHash !== record.splitHash) return { state: 'stale', why: 'the split was made again' };
  }
  const now = currentHash(record.scope === 'train' ? split : undefined);
  return now === record.pairsHash ? { state: 'fresh' } : { state: 'stale', why: 'the curated data changed' };
}
