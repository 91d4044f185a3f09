/**
 * Question templates learned from the questions themselves, for questions whose subject is not known: the words a
 * template puts around the subject are what many questions share and go on (or lead up to) with many different words.
 */

/**
 * Where a question without a located subject has its subject. Frames of the questions whose subject was located are
 * known templates and win; otherwise the longest learned prefix and suffix: a word sequence that starts (ends) at
 * least `minSupport` of these questions and is followed (preceded) by at least 3 different words. Learning walks the
 * questions in sorted order, where the questions that share a prefix are one run: no table of all prefixes.
 */
export class Templates {
  private readonly prefixes: Uint16Array;
  private readonly suffixes: Uint16Array;

  constructor(
    private readonly sequences: readonly string[][],
    private readonly known: { prefixes: Set<string>; suffixes: Set<string> },
    minSupport: number,
    maxLength = 8,
  ) {
    this.prefixes = templateAffixes(sequences, minSupport, maxLength, false);
    this.suffixes = templateAffixes(sequences, minSupport, maxLength, true);
  }

  /** The range of sequence `i`'s words that is its subject: what the template prefix and suffix leave (never empty). */
  subjectRange(i: number): [number, number] {
    const words = this.sequences[i];
    const start =
      longestKnown(words, this.known.prefixes, words.length - 1, false) ||
      highestBit(this.prefixes[i], words.length - 1);
    const limit = words.length - start - 1;
    const suffix =
      longestKnown(words, this.known.suffixes, limit, true) || highestBit(this.suffixes[i], limit);
    return [start, words.length - suffix];
  }
}

/** The largest k ≤ limit such that the first (last) k words are in `known` (0 when none). */
function longestKnown(words: readonly string[], known: Set<string>, limit: number, fromEnd: boolean): number {
  let best = 0;
  let affix = '';
  for (let k = 1; k <= limit && known.size > 0; k++) {
    affix = fromEnd
      ? k === 1
        ? words[words.length - 1]
        : `${words[words.length - k]} ${affix}`
      : k === 1
        ? words[0]
        : `${affix} ${words[k - 1]}`;
    if (known.has(affix)) best = k;
  }
  return best;
}

/** The highest set bit of `mask` that is at most `limit` (0 when none). */
function highestBit(mask: number, limit: number): number {
  for (let k = Math.min(limit, 15); k > 0; k--) if (mask & (1 << k)) return k;
  return 0;
}

/** Per sequence, a bit mask of the lengths k (1 … maxLength) whose first (last) k words are template. */
function templateAffixes(
  sequences: readonly string[][],
  minSupport: number,
  maxLength: number,
  fromEnd: boolean,
): Uint16Array {
  // Joined with a character below every letter, string order is word-by-word order and a sequence sorts right
  // before the longer ones that start with it.
  const keys = sequences.map((words) => (fromEnd ? [...words].reverse() : words).join('\u0001'));
  const order = Int32Array.from(sequences.keys()).sort((a, b) =>
    keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0,
  );
  const wordAt = (m: number, depth: number): string | undefined => {
    const words = sequences[order[m]];
    return fromEnd ? words[words.length - 1 - depth] : words[depth];
  };
  const masks = new Uint16Array(sequences.length);
  // Sequences order[lo…hi) share their first `depth` words.
  const walk = (lo: number, hi: number, depth: number): void => {
    while (lo < hi && sequences[order[lo]].length <= depth) lo++;
    if (hi - lo < minSupport) return;
    const runs: number[] = [lo];
    for (let a = lo + 1; a < hi; a++) if (wordAt(a, depth) !== wordAt(a - 1, depth)) runs.push(a);
    runs.push(hi);
    if (depth > 0 && runs.length - 1 >= 3) for (let m = lo; m < hi; m++) masks[order[m]] |= 1 << depth;
    if (depth < maxLength) for (let r = 0; r + 1 < runs.length; r++) walk(runs[r], runs[r + 1], depth + 1);
  };
  walk(0, order.length, 0);
  return masks;
}
