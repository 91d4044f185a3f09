import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { importDataset } from '../../../src/dataset/import';
import { ChatTokenizer, exampleMessages, toJsRegex } from '../../../src/dataset/tokenizer';
import { exampleLength, summarize, tokenStats } from '../../../src/dataset/tokens';
import { fixturesDir, requireShared } from '../../support/paths';

describe('token statistics with the real Qwen3 tokenizer', function () {
  this.timeout(60_000);
  let tokenizer: ChatTokenizer;

  before(async () => {
    tokenizer = await ChatTokenizer.load(requireShared('models/qwen3-tokenizer'));
  });

  it('renders training text like the trainer (enable_thinking=false) and counts the ids transformers gives', () => {
    const { text, promptLength } = tokenizer.renderTraining(
      exampleMessages('What is gout?', 'Gout is arthritis.'),
    );
    assert.equal(
      text,
      '<|im_start|>user\nWhat is gout?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nGout is arthritis.<|im_end|>',
    );
    assert.equal(text.slice(promptLength), 'Gout is arthritis.<|im_end|>');
    // Reference ids from transformers' AutoTokenizer on the same text.
    assert.deepEqual(
      tokenizer.encode(text),
      [
        151644, 872, 198, 3838, 374, 342, 411, 30, 151645, 198, 151644, 77091, 198, 151667, 271, 151668, 271,
        38, 411, 374, 54552, 13, 151645,
      ],
    );
    assert.equal(tokenizer.count(text), 23);
    assert.deepEqual(
      exampleLength(tokenizer, { id: 'x', question: 'What is gout?', answer: 'Gout is arthritis.' }),
      {
        id: 'x',
        prompt: 17,
        answer: 6,
        total: 23,
      },
    );
  });

  it('the memoised count equals the library on awkward text', () => {
    assert.ok(tokenizer.usesFastPath);
    const texts = [
      "It's   spaced\t\tout\n\n\n  and they'LL say 'RE",
      'Ünïcödé – naïve café 東京 😀 emoji 👩‍⚕️',
      '1234567 numbers 3.14159 and <|im_start|>special<|im_end|> tokens<|endoftext|>',
      'trailing spaces   ',
      '   leading and \r\n windows lines',
      'e\u0301 combining accent (NFC)',
      '',
    ];
    for (const text of texts)
      assert.equal(tokenizer.count(text), tokenizer.countWithLibrary(text), JSON.stringify(text));
  });

  it('the fast render equals the Jinja render, also with a system prompt and odd contents', () => {
    const cases: [string, string, string | undefined][] = [
      ['Q?', 'A.', undefined],
      ['Q?', 'A.', 'Be brief.'],
      ['Has <think>tags</think>?', 'Plain answer', undefined],
      ['Q', '\nleading newline', 'sys'],
    ];
    for (const [q, a, s] of cases) {
      assert.deepEqual(
        tokenizer.renderExample(q, a, s),
        tokenizer.renderTraining(exampleMessages(q, a, s)),
        q,
      );
    }
    // An answer with a think block cannot be trained on as is (the trainer refuses it too).
    assert.throws(
      () => tokenizer.renderExample('Q', 'Answer </think> here'),
      /renders the prompt differently/,
    );
  });

  it('summarises the fixture dataset and the truncated share at a max length', async () => {
    const { pairs } = await importDataset(path.join(fixturesDir, 'medquad', 'MedQuAD'));
    const stats = await tokenStats(tokenizer, pairs, { maxLength: 40 });
    assert.equal(stats.examples, 11);
    const lengths = pairs.filter((p) => p.answer).map((p) => exampleLength(tokenizer, p).total);
    assert.equal(stats.truncated, lengths.filter((n) => n > 40).length);
    assert.ok(stats.truncated > 0 && stats.truncated < 11);
    assert.equal(stats.total.max, Math.max(...lengths));
    assert.equal(
      stats.histogram.counts.reduce((a, b) => a + b, 0),
      11,
    );
    const odd = await tokenStats(tokenizer, [{ id: 'odd', question: 'Q', answer: 'A </think> B' }, pairs[0]]);
    assert.deepEqual(odd.unrenderable, ['odd']);
    assert.equal(odd.examples, 1);
    const withSystem = await tokenStats(tokenizer, pairs, {
      maxLength: 40,
      systemPrompt: 'Answer as a nurse would.',
    });
    assert.ok(withSystem.prompt.mean > stats.prompt.mean);
    assert.deepEqual(summarize(Int32Array.from([5, 1, 3])), {
      min: 1,
      max: 5,
      mean: 3,
      p50: 3,
      p90: 5,
      p95: 5,
      p99: 5,
    });
  });
});

describe('tokenizer regex translation', () => {
  it('expands (?i:…) groups and uses Unicode White_Space for \\s', () => {
    const regex = toJsRegex("(?i:'s|'t)|\\s+(?!\\S)|\\p{L}+");
    assert.deepEqual("IT'S  ok".match(regex), ['IT', "'S", ' ', ' ', 'ok'].slice(0, 2).concat([' ', 'ok']));
    assert.deepEqual("it'S".match(regex), ['it', "'S"]);
    assert.equal(regex.test('\ufeff'), false, 'U+FEFF is not White_Space in Rust regex');
  });
});
