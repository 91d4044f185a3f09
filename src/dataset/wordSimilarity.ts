/**
 * How much of its wording one text shares with another, word by word and in order: the similarity that decides
 * whether two answers about one subject are the same answer (a lead-in question or a reworded phrase costs a few
 * words; a long added table or a different text costs many).
 */
import { sortedOverlap } from './normalize';

/**
 * Word-level edit similarity 1 − D / (|a| + |b|), D the fewest word insertions and deletions that turn one text into
 * the other (so 2·LCS / (|a| + |b|)). Myers' O((|a| + |b|)·D) algorithm, stopped once the similarity can no longer
 * reach `threshold` (then 0).
 */
export function wordSimilarity(a: Int32Array, b: Int32Array, threshold: number): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  const maxD = Math.floor((1 - threshold) * total + 1e-9);
  if (Math.abs(a.length - b.length) > maxD) return 0;
  // The common words, counted as a bag, bound the common subsequence: cheap, and most candidates stop here.
  if (total - 2 * sharedWords(a, b) > maxD) return 0;
  const offset = maxD + 1;
  const furthest = new Int32Array(2 * maxD + 3);
  for (let d = 0; d <= maxD; d++) {
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && furthest[offset + k - 1] < furthest[offset + k + 1]);
      let x = down ? furthest[offset + k + 1] : furthest[offset + k - 1] + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      furthest[offset + k] = x;
      if (x >= a.length && y >= b.length) return 1 - d / total;
    }
  }
  return 0;
}

/** How many words two texts share, counted with multiplicity. */
function sharedWords(a: Int32Array, b: Int32Array): number {
  return sortedOverlap(a.slice().sort(), b.slice().sort());
}

/** Each distinct word as a small integer, so texts compare as Int32Arrays. */
export class WordIds {
  private readonly ids = new Map<string, number>();
  of(normalized: string): Int32Array {
    const words = normalized === '' ? [] : normalized.split(' ');
    return Int32Array.from(words, (word) => {
      let id = this.ids.get(word);
      if (id === undefined) this.ids.set(word, (id = this.ids.size));
      return id;
    });
  }
}
