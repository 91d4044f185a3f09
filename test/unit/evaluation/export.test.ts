import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEvaluation } from '../../../src/evaluation/evaluationFolder';
import { CSV_COLUMNS, evaluationCsv, evaluationMarkdown } from '../../../src/evaluation/export';
import { unpairedRow } from '../../../src/evaluation/tables';
import type { EvaluationSummary } from '../../../src/protocol/metricsPanel';
import { csvField, csvLine, markdownText } from '../../../src/util/tableText';
import { fixturesDir } from '../../support/paths';

/** RFC 4180 reader for the checks: quoted fields, doubled quotes, CRLF rows, line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

function summary(overrides: Partial<EvaluationSummary>): EvaluationSummary {
  return {
    dir: '/tmp/x',
    title: 'run · 20260101-000000',
    runName: 'run',
    checkpoint: null,
    baseModel: null,
    testFile: null,
    createdAt: null,
    status: 'finished',
    sides: { base: null, adapter: null },
    paired: false,
    n: 3,
    metrics: ['f1'],
    overall: [unpairedRow('f1', { value: 10, ci: [5, 15] }, { value: 20.5, ci: [15, 26] })],
    byQtype: [],
    hygiene: [],
    notes: [],
    problems: [],
    ...overrides,
  };
}

describe('evaluation: CSV export', () => {
  it('quotes fields with commas, quotes and line breaks, and keeps numbers as numbers', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(''), '');
    assert.equal(csvField(null), '');
    assert.equal(csvField(-1.5), '-1.5');
    assert.equal(csvField(Number.NaN), '');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
    assert.equal(csvField('+cmd'), "'+cmd");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('-2+3'), "'-2+3");
  });

  it('round-trips awkward question types through a CSV reader', () => {
    const nasty = 'causes, "genetic"\nand =other | things';
    const text = evaluationCsv(
      summary({
        byQtype: [
          {
            qtype: nasty,
            n: 3,
            rows: { f1: unpairedRow('f1', { value: 1, ci: [null, null] }, { value: 2, ci: [1, 3] }) },
          },
        ],
      }),
    );
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    assert.equal(rows.length, 3);
    assert.equal(
      rows[2][0],
      nasty,
      'the qtype comes back unchanged (it does not start with a formula character)',
    );
    assert.equal(rows[2][2], 'f1');
    assert.equal(rows[2][4], '', 'a missing interval bound is an empty field');
    assert.equal(csvLine(['=x', 1]), "'=x,1");
  });

  it('exports every overall and per-qtype row of a real evaluation with full-precision numbers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-export-'));
    try {
      cpSync(path.join(fixturesDir, 'evaluation', 'sample-run'), path.join(dir, 'sample-run'), {
        recursive: true,
      });
      const loaded = await loadEvaluation(path.join(dir, 'sample-run', 'evaluations', '20260115-101500'));
      const rows = parseCsv(evaluationCsv(loaded));
      const header = rows[0];
      const body = rows.slice(1);
      // 5 metrics overall + 5 metrics for each of the 5 question types.
      assert.equal(body.length, 5 + 5 * 5);
      const f1 = body.find((r) => r[0] === 'overall' && r[2] === 'f1');
      assert.ok(f1);
      const column = (name: string) => Number(f1[header.indexOf(name)]);
      const f1Row = loaded.overall.find((r) => r.metric === 'f1');
      assert.equal(column('fine_tuned'), f1Row?.adapter?.value);
      assert.ok(Math.abs(column('absolute_change') - (column('fine_tuned') - column('base'))) < 1e-9);
      assert.ok(
        column('change_ci_low') <= column('absolute_change') &&
          column('absolute_change') <= column('change_ci_high'),
      );
      // 6 pairs: no p-value and so no verdict (fewer than 10, issue 22).
      assert.deepEqual([f1[header.indexOf('p_value')], f1[header.indexOf('verdict')]], ['', '']);
      assert.ok(body.every((r) => r.length === CSV_COLUMNS.length));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('evaluation: Markdown export', () => {
  it('escapes characters with Markdown meaning and keeps a cell on one line', () => {
    assert.equal(markdownText('a|b'), 'a\\|b');
    assert.equal(
      markdownText('*bold* _it_ `code` [link](x) <b>'),
      '\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\<b\\>',
    );
    assert.equal(markdownText('back\\slash'), 'back\\\\slash');
    assert.equal(markdownText('two\r\nlines\nhere'), 'two lines here');
    assert.equal(markdownText("Alzheimer's disease 1.5"), "Alzheimer's disease 1.5");
  });

  it("writes tables whose rows all have the header's column count", () => {
    const text = evaluationMarkdown(
      summary({
        checkpoint: '/runs/a|b/checkpoint-3',
        notes: ['Only *some* examples'],
        byQtype: [
          {
            qtype: 'x|y',
            n: 2,
            rows: { f1: unpairedRow('f1', { value: 1, ci: [null, null] }, { value: 2, ci: [null, null] }) },
          },
        ],
        hygiene: [
          {
            side: 'base',
            checked: 3,
            flagged: 1,
            flags: [
              { name: 'prompt_echo', count: 1, examples: ['id_with_underscores'] },
              { name: 'truncated', count: null, examples: [], note: 'unknown here' },
            ],
          },
        ],
      }),
    );
    assert.match(text, /- Checkpoint: \/runs\/a\\\|b\/checkpoint-3/);
    assert.match(text, /- Note: Only \\\*some\\\* examples/);
    assert.match(
      text,
      /\| Token F1 \(%\) \| 10\.0 \[5\.00, 15\.0\] \| 20\.5 \[15\.0, 26\.0\] \| \+10\.5 \| \+105% \|/,
    );
    assert.match(text, /\| x\\\|y \| 2 \|/);
    assert.match(text, /the question echoed back: 1 \(e\.g\. id\\_with\\_underscores\)/);
    assert.match(text, /cut at max new tokens: unknown \(unknown here\)/);
    for (const block of text.split('\n\n').filter((b) => b.startsWith('|'))) {
      const counts = block.split('\n').map((line) => line.replace(/\\\|/g, '').split('|').length);
      assert.ok(
        counts.every((c) => c === counts[0]),
        `ragged table:\n${block}`,
      );
    }
  });
});
