/**
 * Maps the column / key names people actually use in QA files onto our fields, case-insensitively and ignoring
 * spaces, dashes and underscores ("Question Type", "question_type" and "qtype" all mean qtype).
 */
export type QaField = 'id' | 'question' | 'answer' | 'qtype' | 'source' | 'focus';

const aliases: Record<QaField, string[]> = {
  id: ['id', 'pid', 'qid', 'uid', 'key', 'pairid', 'questionid'],
  question: ['question', 'questions', 'q', 'query', 'prompt', 'input', 'instruction', 'questiontext'],
  answer: ['answer', 'answers', 'a', 'response', 'output', 'completion', 'reply', 'answertext', 'target'],
  qtype: ['qtype', 'questiontype', 'type', 'category', 'kind'],
  source: ['source', 'origin', 'corpus', 'dataset', 'collection'],
  focus: ['focus', 'topic', 'subject', 'entity'],
};

const lookup = new Map<string, QaField>();
for (const [field, names] of Object.entries(aliases) as [QaField, string[]][]) {
  for (const name of names) lookup.set(name, field);
}

export function canonicalField(name: string): QaField | undefined {
  return lookup.get(name.toLowerCase().replace(/[\s_\-.]+/g, ''));
}

/** For each field, the index of the first column that maps to it. */
export function mapHeader(header: string[]): Partial<Record<QaField, number>> {
  const mapping: Partial<Record<QaField, number>> = {};
  header.forEach((name, index) => {
    const field = canonicalField(name);
    if (field && mapping[field] === undefined) mapping[field] = index;
  });
  return mapping;
}

const normalize = (name: string) => name.toLowerCase().replace(/[\s_\-.]+/g, '');

/** Levenshtein distance with adjacent transpositions, stopping early once it exceeds `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, before[j - 2] + 1);
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The field a key that maps to none was probably meant for: within edit distance 2 of one of its names of five or
 * more letters (`qustion` → question, `answr` → answer). Short names (`q`, `a`, `type`) are left out: two edits
 * turn too many unrelated keys into them.
 */
export function nearMissField(key: string): { field: QaField; name: string } | undefined {
  const normal = normalize(key);
  if (canonicalField(key) || normal.length < 4) return undefined;
  let found: { field: QaField; name: string; distance: number } | undefined;
  for (const [field, names] of Object.entries(aliases) as [QaField, string[]][]) {
    for (const name of names) {
      if (name.length < 5) continue;
      const distance = editDistance(normal, name, 2);
      if (distance <= 2 && (!found || distance < found.distance)) found = { field, name, distance };
    }
  }
  return found && { field: found.field, name: found.name };
}
