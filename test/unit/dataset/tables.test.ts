import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCsv, readCsv } from '../../../src/dataset/readers/csv';
import { readJsonl } from '../../../src/dataset/readers/jsonl';
import { canonicalField } from '../../../src/dataset/readers/fieldNames';
import { fixturesDir } from '../../support/paths';

const tables = path.join(fixturesDir, 'medquad', 'tables');
const load = (name: string) => readFileSync(path.join(tables, name), 'utf8');

describe('CSV reader', () => {
  it('maps headers case-insensitively with aliases', () => {
    assert.equal(canonicalField('Question Type'), 'qtype');
    assert.equal(canonicalField('RESPONSE'), 'answer');
    assert.equal(canonicalField('question_id'), 'id');
    assert.equal(canonicalField('colour'), undefined);
  });

  it('parses quotes, doubled quotes, quoted newlines and CRLF', () => {
    const { records } = parseCsv('a,b\r\n"x, y","line1\r\nline2 ""q"""\r\nlast,\r\n', ',');
    assert.deepEqual(
      records.map((r) => [r.line, r.fields]),
      [
        [1, ['a', 'b']],
        [2, ['x, y', 'line1\r\nline2 "q"']],
        [4, ['last', '']],
      ],
    );
    assert.deepEqual(parseCsv('a\n"open', ',').unterminated, { line: 2 });
  });

  it('imports a BOM file with a quoted multi-line answer and reports the short row by line', () => {
    const { pairs, problems } = readCsv(load('faq.csv'), 'extra/faq.csv');
    assert.deepEqual(
      pairs.map((p) => p.id),
      ['faq.csv/1', 'faq.csv/2', 'faq.csv/4', 'faq.csv/5'],
    );
    assert.equal(pairs[0].question, 'What is a migraine?');
    assert.equal(pairs[0].qtype, 'information');
    assert.equal(pairs[0].document.source, 'ClinicFAQ');
    assert.equal(pairs[0].document.collection, 'faq.csv');
    assert.equal(
      pairs[1].answer,
      'Two kinds of inhaler are common:\n- relievers for quick help\n- preventers used every day',
    );
    assert.equal(pairs[2].document.source, 'faq.csv', 'an empty source cell falls back to the file name');
    assert.equal(pairs[3].answer, '', 'an empty answer is kept as unanswered');
    assert.equal(problems.length, 1);
    assert.deepEqual(
      { ...problems[0], message: undefined },
      {
        file: 'extra/faq.csv',
        line: 6,
        kind: 'missing-column',
        message: undefined,
      },
    );
    assert.match(problems[0].message, /row 3 has 1 of 4 columns/);
  });

  it('detects ; as delimiter and uses an id column for stable ids', () => {
    const { pairs, problems } = readCsv(load('semicolon.csv'), 'semicolon.csv');
    assert.deepEqual(problems, []);
    assert.deepEqual(
      pairs.map((p) => [p.id, p.qtype]),
      [
        ['semicolon.csv/q-1', 'information'],
        ['semicolon.csv/q-2', 'prevention'],
      ],
    );
  });

  it('names the missing header columns', () => {
    const { pairs, problems } = readCsv(load('noquestion.csv'), 'noquestion.csv');
    assert.equal(pairs.length, 0);
    assert.match(problems[0].message, /no question and answer column/);
  });
});

describe('JSONL reader', () => {
  it('reads plain and chat records and lists bad lines with their numbers', () => {
    const { pairs, problems } = readJsonl(load('chat.jsonl'), 'chat.jsonl');
    assert.deepEqual(
      pairs.map((p) => [p.id, p.question, p.answer === '' ? '(none)' : 'answered']),
      [
        ['chat.jsonl/1', 'What is hypertension?', 'answered'],
        ['chat.jsonl/bp-2', 'How can I lower my blood pressure?', 'answered'],
        ['chat.jsonl/5', 'Is walking good exercise?', 'answered'],
        ['chat.jsonl/8', 'What is a normal resting heart rate?', '(none)'],
      ],
    );
    assert.equal(pairs[0].document.source, 'Notes');
    assert.match(pairs[1].answer, /^Less salt/);
    assert.deepEqual(
      problems.map((p) => [p.line, p.kind]),
      [
        [3, 'bad-json'],
        [4, 'bad-row'],
        [7, 'bad-row'],
      ],
    );
    assert.ok(problems[0].column && problems[0].column > 1, 'the JSON error position is reported');
  });
});
