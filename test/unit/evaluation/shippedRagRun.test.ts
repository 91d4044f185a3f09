import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadEvaluation } from '../../../src/evaluation/evaluationFolder';
import { repoRoot } from '../../support/paths';

const run = path.join(repoRoot, 'demo', '.medqa', 'runs', 'smollm2-medquad-rag');
const results = path.join(repoRoot, 'examples', 'medquad-smollm2-rag', 'results');

/** The grounded run the demo ships (issue 18): its evaluation opens as Evaluate Checkpoint's "RAG k=3" ones do. */
describe("the demo's shipped RAG run", () => {
  it('opens in the Metrics panel with base + retrieval, fine-tuned + retrieval and retrieval-only, paired', async () => {
    const evaluations = readdirSync(path.join(run, 'evaluations'));
    assert.equal(evaluations.length, 1);
    const summary = await loadEvaluation(path.join(run, 'evaluations', evaluations[0]));
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.status, 'finished');
    assert.equal(summary.mode, 'RAG k=3');
    assert.equal(summary.runName, 'smollm2-medquad-rag');
    assert.equal(summary.checkpoint, path.join(run, 'adapter'));
    assert.ok(existsSync(path.join(run, 'adapter', 'adapter_model.safetensors')), 'the adapter is shipped');
    assert.equal(summary.paired, true);
    assert.equal(summary.n, 200);
    assert.equal(summary.retrieval?.paired, true);
    assert.equal(summary.retrieval?.n, 200);
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    assert.ok(f1?.base && f1.adapter && f1.retrieval && f1.versusRetrieval, 'F1 has all three columns');
  });

  it("holds the same answers as the example's committed rows (ft-rag, base-rag, retrieval)", () => {
    const [evaluation] = readdirSync(path.join(run, 'evaluations'));
    for (const [side, row] of [
      ['adapter', 'ft-rag'],
      ['base', 'base-rag'],
      ['retrieval', 'retrieval'],
    ]) {
      const shipped = readFileSync(
        path.join(run, 'evaluations', evaluation, side, 'predictions.jsonl'),
        'utf8',
      );
      const committed = readFileSync(path.join(results, row, 'predictions.jsonl'), 'utf8');
      assert.equal(shipped, committed, `${side} = ${row}`);
    }
  });
});
