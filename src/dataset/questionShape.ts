/**
 * What a question asks, and about what. MedQuAD questions are templates filled with the document's focus ("What to
 * do in case of emergency or overdose of <Abacavir>"), so two questions are the same question when they have the
 * same subject and the same frame (the question without its subject), not when most of their words agree.
 *
 * The subject is the pair's focus where the question contains it; without a focus (CSV/JSONL imports) it is what is
 * left once the template frame is removed: the longest prefix and suffix that many questions share and that go on
 * with many different words. Frames are compared as sets of content-word stems, so "What is (are) X?", "What is X?"
 * and "Do you have information about X?" ask the same thing, and "How is X diagnosed?" matches "How to diagnose X?".
 */
import { foldCase, sortedOverlap } from './normalize';
import { Templates } from './questionTemplates';
import { pushAll } from '../util/arrays';

export interface QuestionInput {
  text: string;
  /** The subject, e.g. the MedQuAD focus; optional. */
  subject?: string;
}

export interface QuestionShape {
  /**
   * Keys of the subject: its words run together (hyphen and spacing variants match) and, for several words, sorted
   * (word-order variants match: "Lung cancer - small cell" / "Small cell lung cancer"), and a `v:` key of the words
   * without inner vowels, under which only vowelVariant subjects match. Words are singular, without possessive 's
   * ("Alzheimer's diseases" → alzheimer disease), without "overview", and parenthesised words are left out.
   */
  keys: string[];
  /** The subject's words (as in the keys), in order. */
  words: string[];
  /** The subject's words in parentheses ("cll" in "Chronic lymphocytic leukemia (CLL)"), joined by spaces. */
  qualifier: string;
  /** Sorted, distinct stems of the content words outside the subject. */
  frame: string[];
  /** Whether the subject was found in the question (otherwise the templates placed it, and less surely). */
  located: boolean;
}

interface Tokens {
  words: string[];
  inParens: boolean[];
  /** Indexes of the words outside brackets. */
  plain: number[];
}

const letterOrDigit = /[\p{L}\p{M}\p{N}]/u;

function isWordChar(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 128)
    return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90);
  return letterOrDigit.test(text[i]);
}

/**
 * Words of a text (case folded; a possessive 's dropped: "Alzheimer's" → alzheimer) and whether each stands inside
 * brackets. A hand-written scanner: a Unicode regex over 50,000 questions costs more than the rest of the search.
 */
export function tokenize(text: string): Tokens {
  const folded = foldCase(text);
  const words: string[] = [];
  const inParens: boolean[] = [];
  const plain: number[] = [];
  let depth = 0;
  for (let i = 0; i < folded.length;) {
    const c = folded[i];
    if (isWordChar(folded, i)) {
      let end = i + 1;
      while (end < folded.length && isWordChar(folded, end)) end++;
      if (depth === 0) plain.push(words.length);
      words.push(folded.slice(i, end));
      inParens.push(depth > 0);
      i = end;
      const apostrophe = folded[i] === "'" || folded[i] === '\u2019';
      if (apostrophe && folded[i + 1] === 's' && (i + 2 >= folded.length || !isWordChar(folded, i + 2)))
        i += 2;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    i++;
  }
  return { words, inParens, plain };
}

/** Function words of questions: they say nothing about what is asked ("information" and "know" are generic too). */
const stopWords = new Set(
  (
    'a an the what which who whom whose why where when how is are was were be been being am do does did done doing ' +
    'can could should would will shall may might must i you we me my your our it its this that these those there ' +
    'of for to in on at by with about from into and or if any some have has had tell know information'
  ).split(' '),
);

/** Plural to singular, crudely but identically on both sides ("arrhythmias", "allergies", "x rays"). */
export function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** "Glycogen storage disease type VII" and "… type 7" name one subject. */
const romanNumerals = new Map(
  'i ii iii iv v vi vii viii ix x xi xii xiii xiv xv'
    .split(' ')
    .map((numeral, i) => [numeral, String(i + 1)]),
);

/** Truncation stem: "diagnosed"/"diagnose", "treatments"/"treated", "prevention"/"prevented" share one. */
function stem(word: string): string {
  return word.slice(0, 5);
}

/**
 * The shape from the token indexes of the subject and of the frame. Subject words in brackets are its qualifier. In
 * the frame a stop word that ends the question is a label, not a function word: "a" in "What is hepatitis A?" or "i"
 * in "… type I", when a template put the subject's last word outside the subject.
 */
function shapeOf(tokens: Tokens, subject: number[], frame: number[], located: boolean): QuestionShape {
  const main: string[] = [];
  const qualifier: string[] = [];
  for (const i of subject) {
    const word = tokens.words[i];
    if (word === 'overview' && subject.length > 1) continue; // "Epilepsy - overview" is about epilepsy
    const canonical = tokens.words[i - 1] === 'type' ? (romanNumerals.get(word) ?? word) : singular(word);
    (tokens.inParens[i] ? qualifier : main).push(canonical);
  }
  if (main.length === 0) pushAll(main, qualifier.splice(0));
  // In this order: sameSubjectPairs visits a pair under the first kind of key the two shapes share.
  const keys = main.length === 0 ? [] : [`c:${main.join('')}`];
  if (main.length > 1) keys.push(`b:${[...main].sort().join(' ')}`);
  if (main.length > 0) keys.push(`v:${main.map(consonantFrame).join(' ')}`);
  const stems = new Set<string>();
  const last = tokens.words.length - 1;
  for (const i of frame) if (i === last || !stopWords.has(tokens.words[i])) stems.add(stem(tokens.words[i]));
  return { keys, words: main, qualifier: qualifier.join(' '), frame: [...stems].sort(), located };
}

/** Subject and frame when the subject was found at tokens [start, end). */
function locatedShape(tokens: Tokens, [start, end]: [number, number]): QuestionShape {
  const subject: number[] = [];
  const frame: number[] = [];
  tokens.words.forEach((_, i) => (i >= start && i < end ? subject : frame).push(i));
  return shapeOf(tokens, subject, frame, true);
}

/**
 * Subject and frame from templates, which are matched on the words outside brackets: "What is (are) X?" and "What is
 * X?" share the prefix "what is". Bracketed words before the subject belong to the frame ("(are)"); those after its
 * start qualify the subject ("(CML)"), even behind a template suffix.
 */
function templatedShape(tokens: Tokens, [s, e]: [number, number]): QuestionShape {
  const { plain } = tokens;
  if (plain.length === 0) return shapeOf(tokens, [...tokens.words.keys()], [], false);
  const [start, end] = [plain[s], plain[e - 1] + 1];
  const subject: number[] = [];
  const frame: number[] = [];
  tokens.words.forEach((_, i) => {
    const inSubject = tokens.inParens[i] ? i >= start : i >= start && i < end;
    (inSubject ? subject : frame).push(i);
  });
  return shapeOf(tokens, subject, frame, false);
}

/** Token range [start, end) of the question whose letters spell the subject, aligned to whole words. */
function locate(question: Tokens, subject: Tokens): [number, number] | undefined {
  // Usually the subject's words are the question's words: no strings to build.
  const n = subject.words.length;
  for (let start = 0; n > 0 && start + n <= question.words.length; start++) {
    let k = 0;
    while (k < n && question.words[start + k] === subject.words[k]) k++;
    if (k === n && question.inParens.slice(start, start + n).includes(false)) return [start, start + n];
  }
  const needle = subject.words.join('');
  if (needle === '') return undefined;
  const haystack = question.words.join('');
  const starts = [0];
  for (const word of question.words) starts.push(starts[starts.length - 1] + word.length);
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const first = starts.indexOf(at);
    const end = first < 0 ? -1 : starts.indexOf(at + needle.length, first + 1);
    // A focus found only in brackets is an abbreviation of the real subject: "… sclerosis (ALS)".
    if (end > 0 && question.inParens.slice(first, end).includes(false)) return [first, end];
  }
  return undefined;
}

/**
 * Subject and frame of every question. Questions without a subject (or whose subject does not occur in them) take
 * the subject that the templates leave; templates are found only when some question needs them.
 */
export function questionShapes(questions: readonly QuestionInput[]): QuestionShape[] {
  const tokens = questions.map((question) => tokenize(question.text));
  const subjects = new Map<string, Tokens>();
  const ranges = questions.map((question, i) => {
    if (!question.subject) return undefined;
    let subject = subjects.get(question.subject);
    if (!subject) subjects.set(question.subject, (subject = tokenize(question.subject)));
    return locate(tokens[i], subject);
  });
  let templates: Templates | undefined;
  const sequenceOf = new Int32Array(questions.length);
  if (ranges.some((range) => range === undefined)) {
    const known = { prefixes: new Set<string>(), suffixes: new Set<string>() };
    const unknown = new Map<string, number>();
    const sequences: string[][] = [];
    tokens.forEach((question, i) => {
      const { plain } = question;
      const words = plain.map((t) => question.words[t]);
      const range = ranges[i];
      if (range === undefined) {
        const key = words.join(' ');
        let index = unknown.get(key);
        if (index === undefined) unknown.set(key, (index = sequences.push(words) - 1));
        sequenceOf[i] = index;
      } else {
        const before = plain.filter((t) => t < range[0]).length;
        const after = plain.filter((t) => t >= range[1]).length;
        if (before > 0) known.prefixes.add(words.slice(0, before).join(' '));
        if (after > 0) known.suffixes.add(words.slice(words.length - after).join(' '));
      }
    });
    const minSupport = Math.max(5, Math.ceil(sequences.length * 0.002));
    templates = new Templates(sequences, known, minSupport);
  }
  return tokens.map((question, i) => {
    const range = ranges[i];
    return range
      ? locatedShape(question, range)
      : templatedShape(question, templates!.subjectRange(sequenceOf[i]));
  });
}

const vowels = new Set('aeiouy');

/** A word without its inner vowels ("sjogren" → sjgrn): the block key of vowelVariant. */
function consonantFrame(word: string): string {
  if (word.length <= 2) return word;
  let inner = '';
  for (let i = 1; i < word.length - 1; i++) if (!vowels.has(word[i])) inner += word[i];
  return word[0] + inner + word[word.length - 1];
}

/**
 * Whether two subjects differ only by words that lost one or two inner vowels, at least one of them between two
 * consonants. MedQuAD dropped accented letters in places: "Sjgren syndrome" (Sjögren), "Mnire disease" (Ménière),
 * "Henoch-Schnlein purpura". Vowels next to vowels or at a word's ends do not count, so "Fraser"/"Frasier",
 * "Menke"/"Muenke" and "Tietz"/"Tietze" stay apart.
 */
export function vowelVariant(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  let differs = false;
  for (let w = 0; w < a.length; w++) {
    if (a[w] === b[w]) continue;
    const [long, short] = a[w].length > b[w].length ? [a[w], b[w]] : [b[w], a[w]];
    if (!lostVowels(long, short)) return false;
    differs = true;
  }
  return differs;
}

function lostVowels(long: string, short: string): boolean {
  const lost = long.length - short.length;
  if (lost < 1 || lost > 2 || long.length < 5) return false;
  let betweenConsonants = false;
  let j = 0;
  for (let i = 0; i < long.length; i++) {
    if (j < short.length && long[i] === short[j]) {
      j++;
      continue;
    }
    if (i === 0 || i === long.length - 1 || !vowels.has(long[i])) return false;
    if (!vowels.has(long[i - 1]) && !vowels.has(long[i + 1])) betweenConsonants = true;
  }
  return j === short.length && betweenConsonants;
}

/**
 * Calls `visit(i, j)` once for every pair of shapes among `entries` that name the same subject: they share a `c:` or
 * `b:` key, or a `v:` key and are vowelVariant. An abbreviation in brackets matches the bare name, but where one
 * subject comes with two different bracketed qualifiers ("Mifepristone (Korlym)", "Mifepristone (Mifeprex)": two
 * products), only equal qualifiers match. Only shapes that share a key are ever compared: linear in the entries.
 */
export function sameSubjectPairs(
  shapes: readonly QuestionShape[],
  entries: Iterable<number>,
  visit: (i: number, j: number) => void,
): void {
  // Most keys have one shape: keep a number until a second one comes.
  const blocks = new Map<string, number | number[]>();
  for (const k of entries) {
    for (const key of shapes[k].keys) {
      const block = blocks.get(key);
      if (block === undefined) blocks.set(key, k);
      else if (typeof block === 'number') blocks.set(key, [block, k]);
      else block.push(k);
    }
  }
  const keyOf = (k: number, kind: string): string | undefined =>
    shapes[k].keys.find((key) => key[0] === kind);
  for (const [key, block] of blocks) {
    if (typeof block === 'number') continue;
    const kind = key[0];
    const qualifiers = new Set<string>();
    for (const k of block) if (shapes[k].qualifier !== '') qualifiers.add(shapes[k].qualifier);
    // A pair is visited under the first kind of key the two shapes share (c: before b: before v:).
    const cKeys = kind === 'c' ? undefined : block.map((k) => keyOf(k, 'c'));
    const bKeys = kind === 'v' ? block.map((k) => keyOf(k, 'b')) : undefined;
    for (let a = 0; a < block.length; a++) {
      for (let b = a + 1; b < block.length; b++) {
        const i = Math.min(block[a], block[b]);
        const j = Math.max(block[a], block[b]);
        if (qualifiers.size > 1 && shapes[i].qualifier !== shapes[j].qualifier) continue;
        if (cKeys && cKeys[a] !== undefined && cKeys[a] === cKeys[b]) continue;
        if (bKeys && bKeys[a] !== undefined && bKeys[a] === bKeys[b]) continue;
        if (kind === 'v' && !vowelVariant(shapes[i].words, shapes[j].words)) continue;
        visit(i, j);
      }
    }
  }
}

/** Jaccard similarity of two frames (sorted distinct stems); two empty frames are the same frame. */
export function frameSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const shared = sortedOverlap(a, b);
  return shared / (a.length + b.length - shared);
}
