import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findImportCandidates } from '../../../src/dataset/view/importCandidates';
import { parseSplitInput } from '../../../src/dataset/view/splitInput';
import { resolveTokenizer } from '../../../src/dataset/view/tokenizerLocation';
import { CancelledError, runInWorker } from '../../../src/dataset/view/workerClient';
import { repoRoot } from '../../support/paths';

describe('dataset view: import candidates, split input, tokenizer location, worker', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-view-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const touch = (relative: string) => {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), 'x');
  };

  it('offers dataset roots, collection folders and loose CSV/JSONL files, never hidden or excluded folders', async () => {
    touch('data/MedQuAD/1_CancerGov_QA/0000001.xml');
    touch('data/MedQuAD/2_GARD_QA/0000001.xml');
    touch('tables/faq.csv');
    touch('.medqa/exports/x/train.jsonl');
    touch('notes/readme.md');
    touch('old/chat.jsonl');
    touch('more/extra.jsonl');
    const candidates = await findImportCandidates(dir, [path.join(dir, 'old')]);
    assert.deepEqual(
      candidates.map((c) => `${c.kind}:${c.label}`),
      [
        'folder:data/MedQuAD',
        'folder:data/MedQuAD/1_CancerGov_QA',
        'folder:data/MedQuAD/2_GARD_QA',
        'folder:more',
        'file:more/extra.jsonl',
        'folder:tables',
        'file:tables/faq.csv',
      ],
    );
    assert.equal(candidates[0].subFolders, 2);
    const imported = await findImportCandidates(dir, [path.join(dir, 'data', 'MedQuAD')]);
    assert.ok(
      !imported.some((c) => c.label.startsWith('data/')),
      'nothing inside an imported source is offered',
    );
  });

  it('parses "seed N, ratios a,b,c" and explains bad input', () => {
    assert.deepEqual(parseSplitInput('seed 7, ratios 80,10,10'), { seed: 7, ratios: [0.8, 0.1, 0.1] });
    assert.throws(() => parseSplitInput('seed 7, ratios 80,20'), /a seed and three ratios/);
    assert.throws(() => parseSplitInput('seed 1.5, ratios 8,1,1'), /whole number/);
  });

  it('finds the tokenizer from the setting or beside the workspace, and explains when there is none', () => {
    const workspace = path.join(dir, 'ws');
    mkdirSync(workspace);
    assert.match(
      (resolveTokenizer('', workspace) as { missing: string }).missing,
      /No tokenizer found[\s\S]*medqa\.tokenizerPath/,
    );
    touch('ws/models/qwen3-tokenizer/tokenizer.json');
    assert.deepEqual(resolveTokenizer('', workspace), {
      dir: path.join(workspace, 'models', 'qwen3-tokenizer'),
    });
    touch('shared/models/qwen3-tokenizer/tokenizer.json');
    assert.deepEqual(
      resolveTokenizer('', workspace),
      { dir: path.join(dir, 'shared', 'models', 'qwen3-tokenizer') },
      '../shared first',
    );
    assert.deepEqual(resolveTokenizer('models/qwen3-tokenizer', workspace), {
      dir: path.join(workspace, 'models', 'qwen3-tokenizer'),
    });
    assert.match(
      (resolveTokenizer('/nowhere', workspace) as { missing: string }).missing,
      /has no tokenizer\.json/,
    );
  });

  it('runs a duplicate scan in the worker thread, and cancels it at once', async () => {
    const pairs = [
      { id: 'a', question: 'What are the symptoms of acne in adults?', answer: 'x' },
      { id: 'b', question: 'What are the symptoms of acne in adults ?', answer: 'y' },
      { id: 'c', question: 'How is gout treated?', answer: 'z' },
    ];
    const report = await runInWorker(repoRoot, { task: 'dedupe', pairs, threshold: 0.8 });
    assert.deepEqual(
      report.questions.groups.map((g) => g.ids),
      [['a', 'b']],
    );
    const abort = new AbortController();
    const big = Array.from({ length: 20_000 }, (_, i) => ({
      id: `p${i}`,
      question: `question number ${i} about topic ${i % 97}`,
      answer: `answer ${i}`,
    }));
    const running = runInWorker(repoRoot, { task: 'dedupe', pairs: big, threshold: 0.8 }, abort.signal);
    setTimeout(() => abort.abort(), 50);
    const started = Date.now();
    await assert.rejects(running, CancelledError);
    assert.ok(Date.now() - started < 2000, 'cancelling does not wait for the scan');
  });
});
