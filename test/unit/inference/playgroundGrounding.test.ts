// "Ground in dataset": the retrieve server's rag reply as the Playground uses it, the grounded exchange as Save for
// grading records it (contract #3: `retrieved`, `cited`), and the Grading panel's view of those sources.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPredictions } from '../../../src/evaluation/predictionsFile';
import { emptyBook, GRADE_FLAGS } from '../../../src/grading/gradeStore';
import { loadGradedEvaluation } from '../../../src/grading/gradedEvaluation';
import { GradingSession } from '../../../src/grading/gradingSession';
import { parseGradingMessage } from '../../../src/grading/panelMessages';
import {
  GROUNDING_K,
  groundedPrompt,
  userTurn,
  type GroundingMemory,
} from '../../../src/inference/grounding';
import { parsePlaygroundMessage } from '../../../src/inference/panelMessages';
import {
  decodingHash,
  playgroundEvaluationDir,
  saveExchange,
  type PlaygroundExchange,
} from '../../../src/inference/playgroundRecord';
import type { PlaygroundSource } from '../../../src/protocol/playground';
import type { RetrievalResult } from '../../../src/retrieval/contract';

const URL1 = 'https://www.nlm.nih.gov/medlineplus/ency/article/001569.htm';
const hit = (n: number, id: string, url: string | null) => ({
  id,
  score: 10 - n,
  rank: n,
  url,
  text: `Passage ${n}.`,
  question: `What is measles (${n})?`,
  focus: 'Measles',
  qtype: 'information',
  collection: 'c',
  source: n === 1 ? 'MedlinePlus' : 'CDC',
  split: null,
});
const reply: RetrievalResult = {
  hits: [hit(1, '10_MPlus/0001/1', URL1), hit(2, '9_CDC/0002/1', null)],
  userContent: 'Answer the question using the numbered sources…\n\nQuestion: What causes measles?',
  sources: [
    {
      n: 1,
      id: '10_MPlus/0001/1',
      url: URL1,
      score: 9,
      question: 'What is measles (1)?',
      text: 'Passage 1.',
      cut: false,
    },
    {
      n: 2,
      id: '9_CDC/0002/1',
      url: null,
      score: 8,
      question: 'What is measles (2)?',
      text: 'Passage …',
      cut: true,
    },
  ],
};

describe('playground: grounded in the dataset', () => {
  it('takes the prompt from the server and numbers the sources with their NIH site', () => {
    const grounded = groundedPrompt(reply);
    assert.equal(
      grounded.userContent,
      reply.userContent,
      "the user turn is the trainer's rendering, unchanged",
    );
    assert.deepEqual(
      grounded.sources.map((s) => [s.n, s.id, s.source, s.url, s.cut]),
      [
        [1, '10_MPlus/0001/1', 'MedlinePlus', URL1, false],
        [2, '9_CDC/0002/1', 'CDC', null, true],
      ],
    );
  });

  it('refuses a reply without the grounded prompt instead of answering closed-book', () => {
    assert.throws(() => groundedPrompt({ ...reply, userContent: undefined }), /user_content/);
    assert.throws(() => groundedPrompt({ ...reply, sources: [{ n: 'one' }] }), /user_content and sources/);
  });

  it('sends the grounded user turn when the switch is on, the bare question when off', async () => {
    const asked: [string, number, string][] = [];
    const ground = (question: string, k: number, tokenizerDir: string) => {
      asked.push([question, k, tokenizerDir]);
      return Promise.resolve({ ...groundedPrompt(reply), index: 'all', dataHash: 'abc' });
    };
    const memory: GroundingMemory = { enabled: true, sources: [], question: null, used: null };
    assert.equal(await userTurn(memory, 'What causes measles?', ground, '/exports/ft'), reply.userContent);
    assert.deepEqual(
      asked,
      [['What causes measles?', GROUNDING_K, '/exports/ft']],
      'cut with the model tokenizer',
    );
    assert.deepEqual(memory.used, { index: 'all', dataHash: 'abc', k: GROUNDING_K });
    assert.equal(memory.sources.length, 2);
    memory.enabled = false;
    assert.equal(await userTurn(memory, 'Is it contagious?', ground, '/exports/ft'), 'Is it contagious?');
    assert.equal(asked.length, 1, 'closed-book asks no index');
    assert.deepEqual(memory, { enabled: false, sources: [], question: null, used: null });
  });

  it('validates the grounding messages of the webview', () => {
    for (const message of [
      { type: 'setGrounding', enabled: true },
      { type: 'setGrounding', enabled: false },
      { type: 'buildIndex' },
      { type: 'openSource', url: URL1 },
    ])
      assert.deepEqual(parsePlaygroundMessage(message), message);
    for (const message of [
      { type: 'setGrounding', enabled: 'yes' },
      { type: 'setGrounding' },
      { type: 'buildIndex', scope: 'train' },
      { type: 'openSource', url: 'javascript:alert(1)' },
      { type: 'openSource', url: 'file:///etc/passwd' },
      { type: 'openSource', url: 'command:workbench.action.quit' },
      { type: 'openSource', url: `https://x.org/${'a'.repeat(2_001)}` },
      { type: 'openSource' },
    ])
      assert.ok(parsePlaygroundMessage(message) instanceof Error, JSON.stringify(message).slice(0, 80));
  });
});

describe('playground: a grounded exchange saved for grading', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-grounded-save-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const sources: PlaygroundSource[] = groundedPrompt(reply).sources;
  const decoding = { maxNewTokens: 16, temperature: 0, topP: 0.9, seed: 42 };
  function exchange(grounded: boolean): PlaygroundExchange {
    const answer = (text: string) => ({
      text,
      tokenCount: 12,
      reason: 'eos' as const,
      timeToFirstTokenMs: 80,
      tokensPerSecond: 40,
      exportDir: '/x',
    });
    return {
      question: 'What causes measles?',
      pair: null,
      decoding,
      answers: {
        base: answer('A virus [2].'),
        adapter: answer('The measles virus [1], spread by air [1-2].'),
      },
      runDir: path.join(root, '.medqa', 'runs', 'tiny-run'),
      checkpoint: path.join(root, '.medqa', 'runs', 'tiny-run', 'checkpoint-3'),
      model: '/tools/tiny-qwen3',
      at: new Date('2026-12-06T08:00:00Z'),
      grounding: grounded ? { index: 'all', dataHash: 'abc123', k: 3, sources } : null,
    };
  }

  it('records retrieved and cited per side, and the retrieval in the decoding hash', async () => {
    const saved = await saveExchange(root, exchange(true));
    const closed = await saveExchange(root, exchange(false));
    const dir = playgroundEvaluationDir(root, 'tiny-run', 'checkpoint-3');
    const raw = readFileSync(path.join(dir, 'adapter', 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const row = JSON.parse(raw[0]) as Record<string, unknown>;
    assert.deepEqual(row.cited, [1, 2]);
    assert.deepEqual(row.retrieved, [
      {
        n: 1,
        id: '10_MPlus/0001/1',
        url: URL1,
        score: 9,
        question: 'What is measles (1)?',
        text: 'Passage 1.',
        cut: false,
        source: 'MedlinePlus',
      },
      {
        n: 2,
        id: '9_CDC/0002/1',
        url: null,
        score: 8,
        question: 'What is measles (2)?',
        text: 'Passage …',
        cut: true,
        source: 'CDC',
      },
    ]);
    assert.deepEqual(row.retrieval, { index: 'all', index_data_hash: 'abc123', k: 3 });
    const closedRow = JSON.parse(raw[1]) as Record<string, unknown>;
    assert.ok(!('retrieved' in closedRow) && !('cited' in closedRow), 'a closed-book row has no sources');

    const { value: base } = await readPredictions(path.join(dir, 'base', 'predictions.jsonl'));
    assert.deepEqual(base[0].cited, [2]);
    assert.equal(base[0].retrieved?.length, 2);
    assert.equal(base[1].retrieved, null);
    assert.notEqual(
      base[0].decodingHash,
      base[1].decodingHash,
      'grounded and closed-book answers never share grades',
    );
    assert.equal(base[1].decodingHash, decodingHash(decoding), 'closed-book hashes are unchanged');
    assert.equal(base[0].decodingHash, decodingHash(decoding, { dataHash: 'abc123', k: 3 }));
    assert.notEqual(base[0].decodingHash, decodingHash(decoding, { dataHash: 'other', k: 3 }));
    assert.deepEqual([saved.id, closed.id], ['playground-20261206-080000', 'playground-20261206-080000-2']);
  });

  it('shows the Grading panel the sources with who cites them, the letters only in blind mode', async () => {
    await saveExchange(root, exchange(true));
    await saveExchange(root, exchange(false));
    const evaluation = await loadGradedEvaluation(playgroundEvaluationDir(root, 'tiny-run', 'checkpoint-3'));
    assert.deepEqual(evaluation.problems, []);
    const session = new GradingSession(evaluation, 'alice', 7);
    const book = emptyBook();
    const example = session.state(book, []).example;
    assert.deepEqual(
      example?.sources.map((s) => [s.n, s.source, s.url, s.cut, s.citedBy]),
      [
        [1, 'MedlinePlus', URL1, false, ['Fine-tuned']],
        [2, 'CDC', null, true, ['Fine-tuned', 'Base model']],
      ],
    );
    session.setMode('blind', book);
    // Blind mode may start on either example: go to the grounded one.
    if (session.state(book, []).example?.id !== example?.id) session.navigate(book, 'previous');
    const blind = session.state(book, []).example;
    assert.equal(blind?.id, example?.id);
    const labels = blind?.sources.flatMap((s) => s.citedBy) ?? [];
    assert.ok(labels.length === 3 && labels.every((l) => /^Answer [AB]$/.test(l)), labels.join());
    session.navigate(book, 'next');
    const closedBook = session.state(book, []).example;
    assert.notEqual(closedBook?.id, example?.id);
    assert.deepEqual(closedBook?.sources, [], 'closed-book rows show no sources');
  });

  it('takes the new flag and an http(s) source link from the Grading webview', () => {
    assert.ok(GRADE_FLAGS.includes('unsupported'));
    const flag = { type: 'toggleFlag', id: 'x', slot: 'adapter', flag: 'unsupported' };
    assert.deepEqual(parseGradingMessage(flag), flag);
    assert.deepEqual(parseGradingMessage({ type: 'openSource', url: URL1 }), {
      type: 'openSource',
      url: URL1,
    });
    assert.ok(parseGradingMessage({ type: 'openSource', url: 'javascript:alert(1)' }) instanceof Error);
    assert.ok(parseGradingMessage({ ...flag, flag: 'wrong' }) instanceof Error);
  });
});
