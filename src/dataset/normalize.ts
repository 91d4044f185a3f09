/**
 * Text normalisation for duplicate detection: Unicode NFKC, lower case, punctuation and symbols turned into spaces,
 * whitespace collapsed. "What is (are) Gout ?" and "what is are gout" compare equal.
 */
const punctuation = /[\p{P}\p{S}]+/gu;
const whitespace = /\s+/g;
const separators = /[^\p{L}\p{M}\p{N}]+/gu;
const asciiSeparators = /[^a-z0-9]+/g;
const latinAccents = /(?<=\p{Script=Latin})\p{M}+/gu;
const beyondPlainAscii = /[^ -~\t\n\r]/;

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(punctuation, ' ').replace(whitespace, ' ').trim();
}

/**
 * The exact-duplicate key: lower case, accents on Latin letters dropped, and everything but letters and digits
 * (punctuation, symbols, hyphens, spaces) removed. Spelling variants that differ only in hyphens or spacing
 * ("immuno-osseous", "immunoosseous", "immuno osseous") share one key, so the split keeps them together.
 */
export function compactKey(text: string): string {
  if (!beyondPlainAscii.test(text)) return text.toLowerCase().replace(asciiSeparators, '');
  return foldCase(text).replace(separators, '');
}

/** NFKC, lower case, accents on Latin letters removed ("Ménière" → "meniere"). */
export function foldCase(text: string): string {
  // Most text is ASCII, which NFKC leaves alone and which has no accents to drop.
  if (!beyondPlainAscii.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(latinAccents, '').normalize('NFKC').toLowerCase();
}

/** 32-bit FNV-1a of a string (UTF-16 code units): cheap, stable across runs and platforms. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Murmur3's finaliser: spreads the bits of a 32-bit value so nearby inputs give unrelated outputs. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Sorted, distinct 32-bit hashes of the word k-grams of a normalised text. Texts shorter than k words give one
 * shingle (the whole text), so short questions still compare.
 */
export function shingleHashes(normalized: string, size: number): Uint32Array {
  const words = normalized === '' ? [] : normalized.split(' ');
  const wordHashes = words.map((word) => hashString(word));
  const count = Math.max(1, words.length - size + 1);
  const out = new Uint32Array(words.length === 0 ? 0 : count);
  for (let i = 0; i < out.length; i++) {
    let h = 0x9747b28c;
    for (let j = i; j < Math.min(i + size, words.length); j++) h = mix32(h ^ wordHashes[j]);
    out[i] = mix32(h);
  }
  out.sort();
  let unique = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[unique++] = out[i];
  return out.subarray(0, unique);
}

/** Exact Jaccard similarity of two sorted distinct hash sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  const shared = sortedOverlap(a, b);
  return shared / (a.length + b.length - shared);
}

/** How many items two ascending lists share, counting repeats (a merge walk over both). */
export function sortedOverlap<T extends number | string>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  let shared = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) {
      shared++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return shared;
}
