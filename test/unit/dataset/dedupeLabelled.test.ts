import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { dedupePairs, type DedupeReport, type DuplicateResult } from '../../../src/dataset/dedupe';
import { importDataset } from '../../../src/dataset/import';
import type { QaPair } from '../../../src/dataset/model';
import { fixturesDir, requireShared } from '../../support/paths';

/** One hand-labelled candidate pair; see test/fixtures/dedupe/README.md for who is a candidate and the rules. */
interface Labelled {
  field: 'question' | 'answer';
  a: string;
  b: string;
  textA: string;
  textB: string;
  duplicate: boolean;
  reason: string;
  candidate: string;
}

const labelled = readFileSync(path.join(fixturesDir, 'dedupe', 'labelled-pairs.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Labelled);

interface Score {
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  wrong: Labelled[];
}

/** The detector calls a pair a duplicate when both ids end up in one group (what the split keeps together). */
function score(result: DuplicateResult, sample: readonly Labelled[]): Score {
  const groupOf = new Map<string, number>();
  result.groups.forEach((group, g) => group.ids.forEach((id) => groupOf.set(id, g)));
  const counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const wrong: Labelled[] = [];
  for (const pair of sample) {
    const found = groupOf.has(pair.a) && groupOf.get(pair.a) === groupOf.get(pair.b);
    counts[found ? (pair.duplicate ? 'tp' : 'fp') : pair.duplicate ? 'fn' : 'tn']++;
    if (found !== pair.duplicate) wrong.push(pair);
  }
  return {
    ...counts,
    precision: counts.tp / (counts.tp + counts.fp),
    recall: counts.tp / (counts.tp + counts.fn),
    wrong,
  };
}

function print(label: string, s: Score): void {
  const line =
    `${label}: precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)} ` +
    `(${s.tp} true positives, ${s.fp} false positives, ${s.fn} missed, ${s.tn} true negatives)`;
  process.stdout.write(`      ${line}\n`);
  for (const pair of s.wrong) {
    const texts = `"${pair.textA.slice(0, 60)}" / "${pair.textB.slice(0, 60)}"`;
    process.stdout.write(
      `        ${pair.duplicate ? 'missed' : 'false positive'}: ${texts} (${pair.reason})\n`,
    );
  }
}

describe('duplicates on hand-labelled MedQuAD pairs (test/fixtures/dedupe)', function () {
  this.timeout(120_000);
  const questions = labelled.filter((pair) => pair.field === 'question');
  const answers = labelled.filter((pair) => pair.field === 'answer');
  let pairs: QaPair[];
  let report: DedupeReport;

  before(async () => {
    pairs = (await importDataset(requireShared('data/MedQuAD'))).pairs;
    report = dedupePairs(pairs);
  });

  it('labels at least 200 question pairs, and every label still names the texts it was made on', () => {
    assert.ok(questions.length >= 200, `${questions.length} question pairs`);
    assert.ok(questions.some((p) => p.duplicate) && questions.some((p) => !p.duplicate));
    const byId = new Map(pairs.map((pair) => [pair.id, pair]));
    for (const pair of labelled) {
      for (const [id, text] of [
        [pair.a, pair.textA],
        [pair.b, pair.textB],
      ] as const) {
        const source = byId.get(id);
        assert.ok(source, `${id} is not in MedQuAD`);
        assert.equal(source[pair.field].slice(0, 200), text, `${id}: the ${pair.field} changed`);
      }
    }
  });

  it('finds duplicate questions with precision and recall ≥ 0.95', () => {
    const s = score(report.questions, questions);
    print(`questions (${questions.length} pairs)`, s);
    assert.ok(s.precision >= 0.95, `precision ${s.precision}`);
    assert.ok(s.recall >= 0.95, `recall ${s.recall}`);
  });

  it('finds duplicate answers with precision and recall ≥ 0.95, boilerplate never making a duplicate', () => {
    const s = score(report.answers, answers);
    print(`answers (${answers.length} pairs)`, s);
    assert.ok(s.precision >= 0.95, `precision ${s.precision}`);
    assert.ok(s.recall >= 0.95, `recall ${s.recall}`);
  });

  it('without focus (CSV/JSONL imports) learns the templates and stays precise', () => {
    const withoutFocus = dedupePairs(
      pairs.map(({ id, qtype, question, answer }) => ({ id, qtype, question, answer })),
    );
    const s = score(withoutFocus.questions, questions);
    print('questions without <Focus>', s);
    assert.ok(s.precision >= 0.95, `precision ${s.precision}`);
    // Spelling variants the templates cannot place ("How is rabies diagnosed?", plurals) are missed, never invented.
    assert.ok(s.recall >= 0.85, `recall ${s.recall}`);
  });
});
