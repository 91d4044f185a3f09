import { citedNumbers, parseRetrieved, type RetrievedSource } from '../retrieval/citations';
import { isRecord, readText, typeName, type Read } from './evaluationFiles';

/** One answer from predictions.jsonl (contract #3): the evaluator's row with its per-example scores and flags. */
export interface PredictionRow {
  line: number;
  id: string;
  question: string | null;
  qtype: string;
  reference: string;
  prediction: string;
  truncated: boolean | null;
  /** The evaluator's hash of the decoding settings that produced this answer (contract #3); null when absent. */
  decodingHash: string | null;
  scores: Record<string, number | null>;
  hygiene: string[];
  /** Retrieval runs (contract #3): the sources as given to the model; null when the row has none or a bad list. */
  retrieved: RetrievedSource[] | null;
  /** The source numbers the answer cites: the row's `cited`, else read from the answer as evaluate does. */
  cited: number[];
}

/** predictions.jsonl: one object per line with string `reference` and `prediction`; bad lines are listed. */
export async function readPredictions(file: string): Promise<Read<PredictionRow[]>> {
  const text = await readText(file);
  if (Array.isArray(text)) return { value: [], problems: text };
  return parsePredictions(text, file);
}

export function parsePredictions(text: string, file: string): Read<PredictionRow[]> {
  const rows: PredictionRow[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    const where = `${file}:${line}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push(
        `${where}: not valid JSON (${(error as Error).message.replace(/^Unexpected/, 'unexpected')})`,
      );
      return;
    }
    if (!isRecord(value)) {
      problems.push(`${where}: expected a JSON object, got ${typeName(value)}`);
      return;
    }
    const wrong = fieldProblems(value);
    if (wrong.length > 0) {
      problems.push(`${where}: ${wrong.join('; ')}`);
      return;
    }
    const key = String(value.id === undefined ? `line-${line}` : value.id);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${where}: duplicate id '${key}' (first on line ${first})`);
      return;
    }
    seen.set(key, line);
    const row = predictionRow(value, line, key);
    // The answer is still graded; only its sources cannot be shown.
    if (value.retrieved != null && !row.retrieved)
      problems.push(
        `${where}: 'retrieved' is not a list of sources ({n, id, question, text, url}); they are not shown`,
      );
    rows.push(row);
  });
  if (rows.length === 0 && problems.length === 0)
    problems.push(`${file}: no predictions (the file is empty)`);
  return { value: rows, problems };
}

/** What is wrong with a row's required and typed fields; empty when it can be read. */
function fieldProblems(value: Record<string, unknown>): string[] {
  const wrong: string[] = [];
  for (const field of ['reference', 'prediction']) {
    if (!(field in value)) wrong.push(`missing field '${field}'`);
    else if (typeof value[field] !== 'string')
      wrong.push(`'${field}' must be a string, got ${typeName(value[field])}`);
  }
  // A row without an id is named by its line.
  const { id } = value;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number')
    wrong.push(`'id' must be a string or number, got ${typeName(id)}`);
  for (const field of ['question', 'qtype']) {
    if (value[field] != null && typeof value[field] !== 'string')
      wrong.push(`'${field}' must be a string, got ${typeName(value[field])}`);
  }
  return wrong;
}

/** A checked row as the views use it: optional fields defaulted, malformed optional parts dropped. */
function predictionRow(value: Record<string, unknown>, line: number, id: string): PredictionRow {
  const scores: Record<string, number | null> = {};
  if (isRecord(value.scores)) {
    for (const [name, score] of Object.entries(value.scores)) {
      if (typeof score === 'number' || score === null) scores[name] = score;
    }
  }
  return {
    line,
    id,
    question: typeof value.question === 'string' ? value.question : null,
    qtype: typeof value.qtype === 'string' && value.qtype ? value.qtype : 'unknown',
    reference: value.reference as string,
    prediction: value.prediction as string,
    truncated: typeof value.truncated === 'boolean' ? value.truncated : null,
    decodingHash: typeof value.decoding_hash === 'string' ? value.decoding_hash : null,
    scores,
    hygiene: Array.isArray(value.hygiene)
      ? value.hygiene.filter((f): f is string => typeof f === 'string')
      : [],
    retrieved: parseRetrieved(value.retrieved) ?? null,
    cited:
      Array.isArray(value.cited) && value.cited.every((n) => Number.isInteger(n))
        ? (value.cited as number[])
        : citedNumbers(value.prediction as string),
  };
}
