import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEvaluation } from '../../../src/evaluation/evaluationFolder';
import { CSV_COLUMNS, evaluationCsv, evaluationMarkdown } from '../../../src/evaluation/export';
import { formatMetric, formatPValue } from '../../../src/evaluation/format';
import { escapeHtml } from '../../../webviews/shared/host';
import { overallTableHtml } from '../../../webviews/metrics/tables';
import { fixturesDir } from '../../support/paths';

const sample = path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', '20260115-101500');

/** The Metrics panel's overall table: base, fine-tuned and retrieval-only, with fine-tuned vs retrieval-only. */
describe('Metrics panel: the retrieval-only column', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-retrieval-columns-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A finished evaluation with a retrieval side: the baseline answered as the fixture's base model did. */
  function withRetrieval(): string {
    const dir = path.join(root, 'run', 'evaluations', 'e1');
    cpSync(sample, dir, { recursive: true });
    cpSync(path.join(sample, 'base'), path.join(dir, 'retrieval'), { recursive: true });
    mkdirSync(path.join(dir, 'versus-retrieval'));
    writeFileSync(
      path.join(dir, 'versus-retrieval', 'comparison.json'),
      readFileSync(path.join(sample, 'comparison.json')),
    );
    return dir;
  }

  it('shows retrieval-only values, the change of fine-tuned over them and its paired p', async () => {
    const summary = await loadEvaluation(withRetrieval());
    const html = overallTableHtml(summary);
    assert.match(html, />Retrieval-only</);
    assert.match(html, />p vs retrieval</);
    assert.match(html, /best-matching training pair/);
    const columns = (html.match(/<th scope="col"/g) ?? []).length;
    for (const tr of html.match(/<tr data-metric="[^"]+">.*?<\/tr>/g) ?? [])
      assert.equal((tr.match(/<t[hd][ >]/g) ?? []).length, columns, `every row has a cell per column: ${tr}`);
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    const row = html.match(/<tr data-metric="f1">(.*?)<\/tr>/)?.[1] ?? '';
    assert.ok(row.includes(`>${formatMetric('f1', f1?.retrieval?.value)}<`), row);
    // 6 pairs: the interval of the change stays, the p-value and the verdict are withheld (as for base vs fine-tuned).
    assert.equal(f1?.versusRetrieval?.pValue, null);
    assert.equal(f1?.versusRetrieval?.verdict, null);
    assert.notEqual(f1?.versusRetrieval?.changeCi, null);
    assert.equal((row.match(/n &lt; 10/g) ?? []).length, 2, row);
  });

  it('with enough pairs, the paired p and the verdict of fine-tuned vs retrieval-only are shown', async () => {
    const dir = withRetrieval();
    const file = path.join(dir, 'versus-retrieval', 'comparison.json');
    const comparison = JSON.parse(readFileSync(file, 'utf8')) as {
      n: number;
      metrics: Record<string, { p_value: number }>;
    };
    comparison.n = 12;
    writeFileSync(file, JSON.stringify(comparison));
    const summary = await loadEvaluation(dir);
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    assert.equal(f1?.versusRetrieval?.pValue, comparison.metrics.f1.p_value);
    assert.equal(f1?.versusRetrieval?.verdict, 'better');
    const row = overallTableHtml(summary).match(/<tr data-metric="f1">(.*?)<\/tr>/)?.[1] ?? '';
    assert.ok(
      row.endsWith(
        `<td class="num better" title="better">${escapeHtml(formatPValue(f1?.versusRetrieval?.pValue))}</td>`,
      ),
      row,
    );
  });

  it('an evaluation without a retrieval side keeps its table as it was', async () => {
    const summary = await loadEvaluation(sample);
    assert.doesNotMatch(overallTableHtml(summary), /Retrieval-only|vs retrieval/);
    assert.doesNotMatch(evaluationMarkdown(summary), /retrieval-only/i);
    const csv = evaluationCsv(summary).trim().split('\r\n');
    const f1 = csv.find((line) => line.startsWith('overall,6,f1,'))?.split(',') ?? [];
    assert.deepEqual(f1.slice(CSV_COLUMNS.indexOf('retrieval')), ['', '', '', '', '', '', '', '']);
  });

  it('the CSV and Markdown exports carry the retrieval column and fine-tuned vs retrieval-only', async () => {
    const summary = await loadEvaluation(withRetrieval());
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    const csv = evaluationCsv(summary).trim().split('\r\n');
    assert.deepEqual(csv[0].split(','), [...CSV_COLUMNS]);
    const line = csv.find((l) => l.startsWith('overall,6,f1,'))?.split(',') ?? [];
    const at = (column: (typeof CSV_COLUMNS)[number]) => line[CSV_COLUMNS.indexOf(column)];
    assert.equal(Number(at('retrieval')), f1?.retrieval?.value);
    assert.equal(Number(at('vs_retrieval_change')), f1?.versusRetrieval?.change);
    assert.equal(at('vs_retrieval_p_value'), '', '6 pairs: no p-value');
    const markdown = evaluationMarkdown(summary);
    assert.match(markdown, /## Fine-tuned vs retrieval-only\n\n.*Paired on 6 examples/);
    assert.match(markdown, /\| Token F1 \(%\) \| 13\.7 \[5\.20, 22\.0\] \| 89\.1 /);
  });
});
