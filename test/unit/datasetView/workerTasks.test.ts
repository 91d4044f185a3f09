import * as assert from 'node:assert/strict';
import type { DedupeReport } from '../../../src/dataset/dedupe';
import type { QaPair } from '../../../src/dataset/model';
import type { SplitFile } from '../../../src/dataset/split';
import { dedupeRequest, runWorkerTask, splitRequest } from '../../../src/dataset/view/workerTasks';

function drugPair(id: string, drug: string, answer: string): QaPair {
  return {
    id: `5_NIHSeniorHealth/${id}/1`,
    document: {
      id,
      collection: '11_MedlinePlus_Drugs',
      source: 'MedlinePlus',
      file: `${id}.xml`,
      focus: drug,
    },
    pid: '1',
    qtype: 'emergency or overdose',
    question: `What to do in case of emergency or overdose of ${drug} ?`,
    answer,
  };
}

// The same templated question about three different drugs, and one real duplicate (a re-worded copy about the
// same drug). This is what the Find Duplicates and Create Split commands send to the worker.
const pairs: QaPair[] = [
  drugPair(
    'a1',
    'Abacavir',
    'In case of overdose, call the poison control helpline. Abacavir symptoms vary.',
  ),
  drugPair(
    'a2',
    'Abiraterone',
    'In case of overdose, call the poison control helpline. Abiraterone is rare.',
  ),
  drugPair(
    'a3',
    'Acamprosate',
    'In case of overdose, call the poison control helpline. Acamprosate causes it.',
  ),
  {
    ...drugPair('a4', 'Abacavir', 'Call the poison control helpline at once.'),
    question: 'What to do in case of emergency or overdose of Abacavir?',
  },
];

describe('dataset worker requests', () => {
  it('carry the qtype and focus, so templated questions about different drugs are not duplicates', async () => {
    const request = dedupeRequest(pairs, 0.8);
    assert.equal(request.task, 'dedupe');
    if (request.task !== 'dedupe') return;
    assert.deepEqual(request.pairs[0].document, { focus: 'Abacavir' });
    assert.equal(request.pairs[0].qtype, 'emergency or overdose');

    const report = (await runWorkerTask(request)) as DedupeReport;
    const groups = report.questions.groups.map((group) => [...group.ids].sort());
    assert.deepEqual(groups, [[pairs[0].id, pairs[3].id]]);
  });

  it('keep a split request free of fields the split does not read, and mark excluded pairs', async () => {
    const request = splitRequest(
      pairs.map((pair, i) => (i === 2 ? { ...pair, excluded: 'flagged' } : pair)),
      { sourceHash: 's', overlayHash: 'o' },
      { seed: 42, ratios: [0.5, 0.25, 0.25], threshold: 0.8 },
    );
    if (request.task !== 'split') assert.fail('not a split request');
    assert.deepEqual(request.pairs[2], {
      id: pairs[2].id,
      qtype: 'emergency or overdose',
      question: pairs[2].question,
      answer: pairs[2].answer,
      document: { focus: 'Acamprosate' },
      excluded: true,
    });
    const split = (await runWorkerTask(request)) as SplitFile;
    const where = new Map(split.assignments.map((a) => [a.id, a.split]));
    assert.equal(where.get(pairs[0].id), where.get(pairs[3].id), 'the real duplicates share a split');
    assert.equal(split.groups, 1, 'only the real duplicate pair forms a group');
  });
});
