import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diffConfigs } from '../../../src/runComparison/configDiff';
import { cellText, tableColumns } from '../../../src/runComparison/comparisonTable';
import type { ComparedRun, RunComparisonState } from '../../../src/protocol/runComparison';
import {
  OVERRIDABLE_FIELDS,
  buildRunConfig,
  parseOverride,
  toFlatYaml,
} from '../../../src/training/trainConfig';
import { repoRoot } from '../../support/paths';

const RETRIEVAL_FIELDS = ['retrieval_index', 'retrieval_k', 'retrieval_context_tokens'] as const;

describe('retrieval-augmented training: run.yaml fields', () => {
  it("offers the trainer's retrieval fields with the trainer's limits", () => {
    for (const field of RETRIEVAL_FIELDS) assert.ok(field in OVERRIDABLE_FIELDS, field);
    assert.deepEqual(parseOverride('retrieval_k', '5'), { value: 5 });
    assert.ok('error' in parseOverride('retrieval_k', '0'));
    assert.ok('error' in parseOverride('retrieval_k', '21'));
    assert.ok('error' in parseOverride('retrieval_k', '2.5'));
    assert.deepEqual(parseOverride('retrieval_context_tokens', '64'), { value: 64 });
    assert.ok('error' in parseOverride('retrieval_context_tokens', '63'));
    assert.deepEqual(parseOverride('retrieval_index', ''), { value: null }, 'empty: closed-book');
  });

  it('the real trainer reads them from run.yaml, and refuses what the wizard refuses', function () {
    this.timeout(30_000);
    const python = path.join(repoRoot, '.venv', 'bin', 'python');
    assert.ok(existsSync(python), `this test needs the project venv at ${python}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-rag-config-'));
    try {
      const script = [
        'import json, sys',
        'from medqa_trainer.config import ConfigError, load_config',
        'try:',
        '    c = load_config(sys.argv[1])',
        'except ConfigError as error:',
        '    print(json.dumps({"values": None, "problems": [str(error)]}))',
        'else:',
        '    print(json.dumps({"values": [c.retrieval_index, c.retrieval_k, c.retrieval_context_tokens], "problems": []}))',
      ].join('\n');
      const read = (overrides: Record<string, string | number | null>) => {
        const file = path.join(dir, 'run.yaml');
        const config = buildRunConfig({
          model: 'Qwen/Qwen3-0.6B',
          preset: 'recommended',
          trainFile: '/e/train.jsonl',
          validationFile: '/e/validation.jsonl',
          manifestFile: '/e/manifest.json',
          outputDir: '/runs/r',
          overrides,
        });
        writeFileSync(file, toFlatYaml(config));
        return JSON.parse(
          execFileSync(python, ['-c', script, file], {
            encoding: 'utf8',
            env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'trainer') },
          }),
        ) as { values: unknown[]; problems: string[] };
      };
      const grounded = read({
        retrieval_index: '/w/.medqa/retrieval/auto-0123456789abcdef',
        retrieval_k: 5,
        retrieval_context_tokens: 256,
      });
      assert.deepEqual(grounded.values, ['/w/.medqa/retrieval/auto-0123456789abcdef', 5, 256]);
      assert.deepEqual(grounded.problems, []);
      assert.deepEqual(read({}).values, [null, 3, 384], 'closed-book by default');
      // Just past the limits the wizard enforces, the trainer refuses too.
      assert.ok(read({ retrieval_k: 21 }).problems.some((p) => p.includes('retrieval_k')));
      assert.ok(
        read({ retrieval_context_tokens: 63 }).problems.some((p) => p.includes('retrieval_context_tokens')),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retrieval-augmented training: Compare Runs', () => {
  // Configs as the trainer reports them in run_started (every field, defaults included).
  const common = { learning_rate: 0.0002, lora_r: 16, retrieval_context_tokens: 384 };
  const closedBook = { ...common, output_dir: '/runs/a', retrieval_index: null, retrieval_k: 3 };
  const rag = {
    ...common,
    output_dir: '/runs/b',
    retrieval_index: '/w/.medqa/retrieval/auto-1',
    retrieval_k: 3,
  };

  it('shows closed-book and RAG runs side by side with every retrieval field as a column', () => {
    const diff = diffConfigs([closedBook, rag]);
    assert.deepEqual(
      diff.differing,
      [...RETRIEVAL_FIELDS].sort((a, b) => a.localeCompare(b)),
    );
    const run = (i: number, name: string): ComparedRun =>
      ({ dir: `/runs/${name}`, name, config: diff.values[i] }) as unknown as ComparedRun;
    const state = {
      configKeys: { all: diff.all, differing: diff.differing },
      evaluationMetrics: [],
    } as unknown as RunComparisonState;
    const columns = tableColumns(state, false).map((c) => c.id);
    for (const field of RETRIEVAL_FIELDS) assert.ok(columns.includes(`config:${field}`), field);
    assert.equal(cellText(run(0, 'a'), 'config:retrieval_index'), 'null');
    assert.equal(cellText(run(1, 'b'), 'config:retrieval_index'), '/w/.medqa/retrieval/auto-1');
    assert.equal(cellText(run(1, 'b'), 'config:retrieval_k'), '3');
  });

  it('two closed-book runs show no retrieval columns; a run from before the fields counts as closed-book-different', () => {
    assert.deepEqual(diffConfigs([closedBook, { ...closedBook, output_dir: '/runs/c' }]).differing, []);
    const old = { learning_rate: 0.0002, lora_r: 16, output_dir: '/runs/old' };
    assert.ok(diffConfigs([old, rag]).differing.includes('retrieval_index'));
  });
});
