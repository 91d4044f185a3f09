/** Content hashes recorded in split files and export manifests, so a stale split or export can be recognised. */
import { createHash } from 'node:crypto';
import type { QaPair } from './model';

/** Codepoint order, independent of locale: the order ids are written in everywhere. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** sha256 over the source pairs (id, qtype, question, answer as imported), in id order. */
export function sourceHash(pairs: readonly QaPair[]): string {
  const sorted = [...pairs].sort((a, b) => compareIds(a.id, b.id));
  const hash = createHash('sha256');
  for (const pair of sorted)
    hash.update(JSON.stringify([pair.id, pair.qtype, pair.question, pair.answer]) + '\n');
  return hash.digest('hex');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
