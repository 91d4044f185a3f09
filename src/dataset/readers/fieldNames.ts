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
