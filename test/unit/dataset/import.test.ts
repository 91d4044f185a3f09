import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { importDataset, importDatasets } from '../../../src/dataset/import';
import { computeStats } from '../../../src/dataset/stats';
import { fixturesDir } from '../../support/paths';

const fixtures = path.join(fixturesDir, 'medquad');

function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .sort()
    .map((file) => `${file}:${statSync(path.join(dir, file)).mtimeMs}`);
}

describe('importDataset', () => {
  it('imports every collection of a MedQuAD folder in natural collection order', async () => {
    const result = await importDataset(path.join(fixtures, 'MedQuAD'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.filesRead, 10);
    assert.equal(result.pairs.length, 15);
    const collections = [...new Set(result.pairs.map((p) => p.document.collection))];
    assert.deepEqual(collections, [
      '1_CancerGov_QA',
      '2_GARD_QA',
      '4_MPlus_Health_Topics_QA',
      '6_NINDS_QA',
      '9_CDC_QA',
      '10_MPlus_ADAM_QA',
      '11_MPlusDrugs_QA',
    ]);
    assert.equal(new Set(result.pairs.map((p) => p.id)).size, 15, 'ids are unique');
    const stats = computeStats(result.pairs, result.problems);
    assert.equal(stats.answered, 11);
    assert.equal(stats.unanswered, 4);
    assert.deepEqual(stats.byCollection['10_MPlus_ADAM_QA'], { pairs: 2, answered: 0, unanswered: 2 });
    assert.equal(stats.byQtype.treatment.pairs, 4);
    assert.equal(stats.errors, 0);
  });

  it('gives the same ids on every import, so overlay edits keyed by id survive a re-import', async () => {
    const first = await importDataset(path.join(fixtures, 'MedQuAD'));
    const second = await importDataset(path.join(fixtures, 'MedQuAD'));
    assert.deepEqual(
      second.pairs.map((p) => p.id),
      first.pairs.map((p) => p.id),
    );
  });

  it('uses the folder name as collection when one collection folder or one file is imported', async () => {
    const collection = await importDataset(path.join(fixtures, 'MedQuAD', '9_CDC_QA'));
    assert.deepEqual(
      collection.pairs.map((p) => p.id),
      ['9_CDC_QA/0000001/1', '9_CDC_QA/0000002/1'],
    );
    const single = await importDataset(path.join(fixtures, 'MedQuAD', '6_NINDS_QA', '0000007.xml'));
    assert.equal(single.pairs[0].id, '6_NINDS_QA/0000007/1');
    assert.equal(single.pairs[0].document.file, '0000007.xml');
  });

  it('imports everything else and lists each broken file with its position', async () => {
    const result = await importDataset(path.join(fixtures, 'broken'));
    assert.deepEqual(
      result.pairs.map((p) => p.id),
      ['5_NIDDK_QA/0000001/1', '5_NIDDK_QA/0000002/1', '5_NIDDK_QA/0000003/1'],
    );
    assert.deepEqual(
      result.problems.map((p) => [p.file, p.kind, p.line]),
      [
        ['5_NIDDK_QA/0000001.xml', 'malformed-xml', 11],
        ['5_NIDDK_QA/0000002.xml', 'malformed-xml', 12],
        ['5_NIDDK_QA/0000004.xml', 'malformed-xml', 3],
      ],
    );
    assert.match(result.problems[2].message, /unknown entity &bogus;/);
  });

  it('reads CSV and JSONL files side by side', async () => {
    const result = await importDataset(path.join(fixtures, 'tables'));
    assert.equal(result.filesRead, 4);
    assert.equal(result.pairs.length, 4 + 2 + 4);
    assert.deepEqual(
      result.problems.map((p) => `${p.file}:${p.line}`),
      ['chat.jsonl:3', 'chat.jsonl:4', 'chat.jsonl:7', 'faq.csv:6', 'noquestion.csv:1'],
    );
  });

  it('never writes into the source folder', async () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'medqa-src-'));
    try {
      cpSync(fixtures, copy, { recursive: true });
      const before = snapshot(copy);
      await importDataset(copy);
      assert.deepEqual(snapshot(copy), before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('reports progress, honours an abort signal and explains a missing path', async () => {
    const seen: number[] = [];
    await importDataset(path.join(fixtures, 'MedQuAD'), { onProgress: (p) => seen.push(p.filesDone) });
    assert.equal(seen[seen.length - 1], 10);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      importDataset(path.join(fixtures, 'MedQuAD'), { signal: controller.signal }),
      /abort/i,
    );
    await assert.rejects(importDataset(path.join(fixtures, 'nope')), /no such file or folder/);
    const empty = mkdtempSync(path.join(tmpdir(), 'medqa-empty-'));
    try {
      const result = await importDataset(empty);
      assert.equal(result.problems[0].kind, 'unsupported');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('keeps ids unique across sources and reports the renamed ones', async () => {
    const faq = path.join(fixtures, 'tables', 'faq.csv');
    const result = await importDatasets([faq, faq]);
    assert.equal(result.pairs.length, 8);
    assert.equal(new Set(result.pairs.map((p) => p.id)).size, 8);
    assert.ok(result.pairs.some((p) => p.id === 'faq.csv/1~2'));
    assert.equal(result.problems.filter((p) => p.kind === 'duplicate-id').length, 4);
  });
});
