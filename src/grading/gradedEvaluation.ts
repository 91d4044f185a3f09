import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { EvaluationSide } from '../protocol/metricsPanel';
import { readEvaluationRecord, runDirOfEvaluation, sideDir, SIDES } from '../evaluation/evaluationFolder';
import { readPredictions, type PredictionRow } from '../evaluation/predictionsFile';
import type { RetrievedSource } from '../retrieval/citations';
import { textHash, type AnswerIdentity } from './gradeStore';
import { pushAll } from '../util/arrays';

/** One model's answer to an example, with what identifies it in the grade store. */
export interface GradableAnswer {
  identity: AnswerIdentity;
  text: string;
  /** Token F1 in %, when scored. */
  f1: number | null;
  /** 1-based line in its predictions.jsonl. */
  line: number;
  /** The sources the model was given (retrieval runs, grounded Playground answers); absent/null: closed-book. */
  retrieved?: RetrievedSource[] | null;
  /** The source numbers it cites. */
  cited?: number[];
}

export interface GradableExample {
  id: string;
  question: string | null;
  qtype: string;
  reference: string;
  answers: Partial<Record<EvaluationSide, GradableAnswer>>;
}

/** An evaluation's answers as grading sees them: base and fine-tuned joined by example id, in file order. */
export interface GradedEvaluation {
  dir: string;
  name: string;
  /** "<run> · <evaluation>" */
  title: string;
  run: string;
  /** The adapter graded (its folder name, e.g. `checkpoint-40` or `adapter`). */
  checkpoint: string;
  sides: EvaluationSide[];
  examples: GradableExample[];
  problems: string[];
}

/** The run and checkpoint an evaluation names (evaluation.json; paths may be relative to the folder). */
async function provenance(dir: string): Promise<{ run: string; checkpoint: string }> {
  const record = await readEvaluationRecord(dir);
  const runDir = record?.runDir ? path.resolve(dir, record.runDir) : runDirOfEvaluation(dir);
  const checkpoint = record?.checkpoint ? path.basename(path.resolve(dir, record.checkpoint)) : 'unknown';
  return { run: runDir ? path.basename(runDir) : path.basename(path.dirname(dir)), checkpoint };
}

/** The evaluation folder a predictions.jsonl belongs to (`<evaluation>/<side>/predictions.jsonl`), if it does. */
export function evaluationOfPredictions(file: string): { dir: string; side: EvaluationSide } | undefined {
  const sideFolder = path.dirname(path.resolve(file));
  const side = path.basename(sideFolder);
  if (path.basename(file) !== 'predictions.jsonl' || (side !== 'base' && side !== 'adapter'))
    return undefined;
  return { dir: path.dirname(sideFolder), side };
}

function answerOf(
  row: PredictionRow,
  side: EvaluationSide,
  where: { run: string; checkpoint: string },
): GradableAnswer {
  return {
    identity: {
      example: row.id,
      run: where.run,
      // The base model's answers do not depend on the adapter.
      checkpoint: side === 'base' ? 'base' : where.checkpoint,
      side,
      decoding: row.decodingHash ?? 'unknown',
      prediction: textHash(row.prediction),
    },
    text: row.prediction,
    f1: typeof row.scores.f1 === 'number' ? row.scores.f1 : null,
    line: row.line,
    retrieved: row.retrieved,
    cited: row.cited,
  };
}

/**
 * Reads both sides' predictions. Rows without a reference or answer are reported by the reader (with their line)
 * and left out; an id whose question or reference differs between the sides is reported and the fine-tuned
 * side's text is shown.
 */
export async function loadGradedEvaluation(dir: string): Promise<GradedEvaluation> {
  const where = await provenance(dir);
  const problems: string[] = [];
  const examples = new Map<string, GradableExample>();
  const sides: EvaluationSide[] = [];
  // Fine-tuned first: its file order is the order examples are graded in.
  for (const side of [...SIDES].reverse()) {
    const file = path.join(sideDir(dir, side), 'predictions.jsonl');
    if (!existsSync(file)) continue;
    const { value: rows, problems: found } = await readPredictions(file);
    pushAll(problems, found);
    if (rows.length === 0) continue;
    sides.push(side);
    for (const row of rows) {
      let example = examples.get(row.id);
      if (!example) {
        example = {
          id: row.id,
          question: row.question,
          qtype: row.qtype,
          reference: row.reference,
          answers: {},
        };
        examples.set(row.id, example);
      } else if (example.reference !== row.reference) {
        problems.push(`${file}:${row.line}: the reference of '${row.id}' differs from the other side's`);
      }
      example.answers[side] = answerOf(row, side, where);
    }
  }
  if (sides.length === 0 && problems.length === 0)
    problems.push(`${dir}: no predictions yet (neither base/ nor adapter/ has a predictions.jsonl)`);
  const name = path.basename(dir);
  return {
    dir,
    name,
    title: `${where.run} · ${name}`,
    ...where,
    sides,
    examples: [...examples.values()],
    problems,
  };
}
