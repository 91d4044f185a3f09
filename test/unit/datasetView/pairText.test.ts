import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyOverlay } from '../../../src/dataset/overlay';
import type { QaPair } from '../../../src/dataset/model';
import {
  parseEditable,
  PairTextError,
  renderEditable,
  renderPair,
  titleSlug,
} from '../../../src/dataset/view/pairText';

const pair: QaPair = {
  id: '1_CancerGov_QA/0000001_1/1',
  document: {
    id: '0000001_1',
    collection: '1_CancerGov_QA',
    source: 'CancerGov',
    file: '1_CancerGov_QA/0000001_1.xml',
    focus: 'Adult ALL',
  },
  pid: '1',
  qtype: 'information',
  question: 'What is (are) Adult Acute Lymphoblastic Leukemia ?',
  answer: 'Key Points\n- It is a cancer of the blood.\n\n# not a heading of ours',
};

describe('dataset view: pair text', () => {
  it('renders question, answer and metadata, with curation state and the original text after edits', () => {
    const curated = applyOverlay(pair, {
      answer: 'Shorter answer.',
      flag: { reason: 'too long', at: '2026-01-01T00:00:00.000Z' },
      note: 'check source',
    });
    const text = renderPair(curated, { split: 'train', duplicates: ['2_GARD_QA/0000004/1'] });
    assert.match(
      text,
      /^# Question\n\nWhat is \(are\) Adult Acute Lymphoblastic Leukemia \?\n\n# Answer\n\nShorter answer\./,
    );
    assert.match(text, /\*\*Split:\*\* train/);
    assert.match(text, /\*\*Flagged:\*\* too long \(2026-01-01T00:00:00\.000Z\)/);
    assert.match(text, /\*\*Note:\*\* check source/);
    assert.match(text, /\*\*Duplicates:\*\* `2_GARD_QA\/0000004\/1`/);
    assert.match(text, /## Original \(before your edits\)[\s\S]*\*\*Answer:\*\* Key Points/);
    assert.doesNotMatch(text, /\*\*Question:\*\*/, 'the question was not edited');
  });

  it('says when a pair has no answer', () => {
    assert.match(
      renderPair(applyOverlay({ ...pair, answer: '' }, undefined)),
      /_\(no answer in the source\)_/,
    );
  });

  it('parses the editable form back to the same question and answer (round trip)', () => {
    const parsed = parseEditable(renderEditable(pair));
    assert.equal(parsed.question, pair.question);
    assert.equal(parsed.answer, pair.answer.trim());
  });

  it('keeps everything after the answer heading, including markdown headings of its own', () => {
    // A form saved with CRLF throughout (as an editor set to CRLF saves it) reads as LF text.
    const parsed = parseEditable('# Question\r\nQ?\r\n# Answer\r\nline 1\r\n# Question\r\nline 3\r\n');
    assert.deepEqual(parsed, { question: 'Q?', answer: 'line 1\n# Question\nline 3' });
  });

  it('keeps a question that has a "# Answer" line of its own whole (escaped in the form)', () => {
    const x = {
      question: 'Which heading?\n# Answer\nstill the question',
      answer: '# Question\n\\# Answer\nend',
    };
    const form = renderEditable(x);
    assert.match(form, /^\\# Answer$/m, 'the line is written escaped, as Markdown shows it literally');
    assert.match(form, /^\\\\# Answer$/m, 'an escaped line in the text gets one more backslash');
    assert.equal(form.split('\n').filter((line) => line === '# Answer').length, 1, 'one bare answer heading');
    assert.deepEqual(parseEditable(form), x);
    // What a person types: an escaped line in the question becomes the plain line.
    assert.deepEqual(parseEditable('# Question\n\nQ\n\\# Answer\n\n# Answer\n\nA\n'), {
      question: 'Q\n# Answer',
      answer: 'A',
    });
  });

  it('keeps spacing exactly: surrounding blank lines, trailing spaces, CR characters', () => {
    for (const x of [
      { question: '  Q?  ', answer: '\n\nA\n\n' },
      { question: 'Q?\r\nmore\r', answer: '' },
      { question: '\nQ', answer: ' ' },
    ]) {
      assert.deepEqual(parseEditable(renderEditable(x)), x);
    }
  });

  it('round-trips any question and answer text (property)', () => {
    const hint = renderEditable({ question: 'q', answer: 'a' }).split('\n')[0];
    const tricky = fc.constantFrom(
      '# Answer',
      '# Question',
      '\\# Answer',
      '\\\\# Question',
      '  # Answer  ',
      '\t# Question\r',
      '# Answer\r',
      '\u00a0# Answer\u2028',
      '#  Answer',
      '# answer',
      hint,
      '<!--',
      '-->',
      '',
      ' ',
      '\r',
      'trailing spaces   ',
    );
    const line = fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 12 }));
    const text = fc.oneof(
      fc
        .tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'))
        .map(([lines, eol]) => lines.join(eol)),
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom('#', ' ', '\\', '\r', '\n', 'Q', 'A', 'nswer', 'uestion', '# Answer'),
      }),
    );
    fc.assert(
      fc.property(
        text.filter((question) => question.trim() !== ''),
        text,
        (question, answer) => {
          assert.deepEqual(parseEditable(renderEditable({ question, answer })), { question, answer });
        },
      ),
      { numRuns: 2000 },
    );
  }).timeout(20_000);

  it('refuses text without its headings or with an empty question, saying what to fix', () => {
    assert.throws(
      () => parseEditable('Q?\n# Answer\nA'),
      (e: unknown) => e instanceof PairTextError && /# Question/.test(e.message),
    );
    assert.throws(
      () => parseEditable('# Question\nQ?\nA'),
      (e: unknown) => e instanceof PairTextError && /# Answer/.test(e.message),
    );
    assert.throws(() => parseEditable('# Question\n\n# Answer\nA'), /question is empty/);
  });

  it('makes short file-name-safe titles', () => {
    assert.equal(titleSlug('What is / are: "x"?'), 'What is are x');
    assert.equal(titleSlug('a'.repeat(100)).length, 60);
    assert.equal(titleSlug('???'), 'pair');
  });
});
