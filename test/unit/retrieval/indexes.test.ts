import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sourceHash } from '../../../src/dataset/hash';
import { importDataset } from '../../../src/dataset/import';
import type { QaPair } from '../../../src/dataset/model';
import { OverlayStore } from '../../../src/dataset/overlay';
import { createSplit } from '../../../src/dataset/split';
import { formatBytes } from '../../../src/util/bytes';
import {
  buildArgs,
  deleteIndex,
  describeIndex,
  indexName,
  indexPaths,
  listIndexes,
  preferredIndex,
  retrievalLines,
  writeBuildRecord,
  writePairsFile,
  type IndexEntry,
} from '../../../src/retrieval/indexes';
import { CuratedLines, freshness, pairsHash } from '../../../src/retrieval/freshness';
import type { ExportInput } from '../../../src/dataset/export';
import type { SplitFile } from '../../../src/dataset/split';

/** The hash the curated data gives now, rendered in full (what `CuratedLines` keeps up to date pair by pair). */
const hashOf = (pairs: readonly ExportInput[]) => (split: SplitFile | undefined) =>
  pairsHash(retrievalLines(pairs, split));
import { fixturesDir } from '../../support/paths';

const medquad = path.join(fixturesDir, 'medquad', 'MedQuAD');

const manifest = (pairs: number, extra: Record<string, unknown> = {}) => ({
  format: 'medqa-retrieval-index',
  version: 1,
  created_at: '2026-12-06T07:00:00Z',
  library: { name: 'bm25s', version: '0.3.16' },
  pairs,
  data_hash: 'f00dfeedcafe0123456789',
  source: { data: '../all.pairs.jsonl', split_file: null, splits: null, split_hash: null, read: pairs },
  settings: { k1: 1.5 },
  size_bytes: 2_345_678,
  seconds: 0.4,
  ...extra,
});

describe('retrieval indexes in the workspace (.medqa/retrieval/)', () => {
  let dir: string;
  let pairs: QaPair[];
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'medqa-retrieval-'));
    ({ pairs } = await importDataset(medquad));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A finished build as the command leaves it: pairs file, record, and the trainer's index folder. */
  async function built(name: string, lines: string[], record: Record<string, unknown> = {}) {
    const paths = indexPaths(dir, name);
    await writePairsFile(paths.pairsFile, lines);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.manifest, JSON.stringify(manifest(lines.length)));
    await writeBuildRecord(paths, {
      scope: 'all',
      splitFile: null,
      splitHash: null,
      pairsHash: pairsHash(lines),
      pairs: lines.length,
      createdAt: '2026-12-06T07:00:00Z',
      ...record,
    });
    return paths;
  }

  it('indexes the pairs the export writes: included and answered, overlay edits applied, id order, with metadata', async () => {
    const overlay = await OverlayStore.load(dir);
    await overlay.editAnswer(
      pairs.find((p) => p.id === '9_CDC_QA/0000002/1')!,
      'Edited: use repellent.',
    );
    await overlay.setExcluded('6_NINDS_QA/0000007/2', 'too short');
    const curated = pairs.map((p) => overlay.apply(p));
    const lines = retrievalLines([...curated].reverse());
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.length, 10, '15 pairs - 4 unanswered - 1 excluded (as the export)');
    const ids = records.map((r) => String(r.id));
    assert.deepEqual(ids, [...ids].sort());
    assert.ok(!ids.includes('6_NINDS_QA/0000007/2'));
    const tick = records.find((r) => r.id === '9_CDC_QA/0000002/1')!;
    assert.deepEqual(tick.messages, [
      { role: 'user', content: 'How to prevent Tick Bites ?' },
      { role: 'assistant', content: 'Edited: use repellent.' },
    ]);
    assert.equal(tick.focus, 'Tick Bites');
    assert.equal(tick.url, 'https://example.org/cdc/tick-bites');
    assert.equal(tick.collection, '9_CDC_QA');
    assert.equal('split' in tick, false, 'no split for the "all" scope');
    const gard = records.find((r) => r.id === '2_GARD_QA/0000004/1')!;
    assert.deepEqual(gard.cuis, ['C0000004', 'C0000005']);

    const hashes = { sourceHash: sourceHash(pairs), overlayHash: overlay.hash() };
    const split = createSplit(curated, hashes, { seed: 3, ratios: [60, 20, 20] });
    const assigned = new Map(split.assignments.map((a) => [a.id, a.split]));
    for (const record of retrievalLines(curated, split).map(
      (l) => JSON.parse(l) as { id: string; split: string },
    ))
      assert.equal(record.split, assigned.get(record.id));
  });

  it('names indexes by scope and builds the trainer command line', () => {
    assert.equal(indexName('all'), 'all');
    assert.equal(indexName('train', { seed: 42 }), 'train-split-42');
    assert.throws(() => indexName('train'), /needs a split/);
    assert.throws(() => indexPaths(dir, '../x'), /not a retrieval index name/);
    const paths = indexPaths(dir, 'train-split-42');
    assert.equal(paths.pairsFile, path.join(dir, '.medqa', 'retrieval', 'train-split-42.pairs.jsonl'));
    assert.deepEqual(buildArgs(paths, '/w/.medqa/splits/split-42.json'), [
      '-m',
      'medqa_trainer',
      'index',
      'build',
      '--data',
      paths.pairsFile,
      '--out',
      paths.dir,
      '--split-file',
      '/w/.medqa/splits/split-42.json',
      '--splits',
      'train',
    ]);
    assert.deepEqual(buildArgs(indexPaths(dir, 'all')).slice(3), [
      'build',
      '--data',
      indexPaths(dir, 'all').pairsFile,
      '--out',
      indexPaths(dir, 'all').dir,
    ]);
  });

  it('is stale after an edit or exclusion, not after a flag or a note; unknown when built elsewhere', async () => {
    const overlay = await OverlayStore.load(dir);
    const curated = () => pairs.map((p) => overlay.apply(p));
    const paths = await built('all', retrievalLines(curated()));
    const [entry] = await listIndexes(dir);
    assert.deepEqual(freshness(entry, undefined, hashOf(curated())), { state: 'fresh' });

    await overlay.setFlag('9_CDC_QA/0000002/1', 'check the source');
    await overlay.setNote('9_CDC_QA/0000002/1', 'a note');
    assert.deepEqual(
      freshness(entry, undefined, hashOf(curated())),
      { state: 'fresh' },
      'flags and notes change nothing',
    );

    await overlay.editQuestion(
      pairs.find((p) => p.id === '9_CDC_QA/0000002/1')!,
      'How can tick bites be prevented?',
    );
    assert.deepEqual(freshness(entry, undefined, hashOf(curated())), {
      state: 'stale',
      why: 'the curated data changed',
    });
    await overlay.revert('9_CDC_QA/0000002/1');
    assert.equal(freshness(entry, undefined, hashOf(curated())).state, 'fresh', 'undone: fresh again');
    await overlay.setExcluded('2_GARD_QA/0000004/1', 'wrong');
    assert.equal(freshness(entry, undefined, hashOf(curated())).state, 'stale');

    rmSync(paths.buildFile);
    const [unknown] = await listIndexes(dir);
    assert.equal(freshness(unknown, undefined, hashOf(curated())).state, 'unknown');
  });

  it('a training-split index is stale when its split is made again or its file is gone', async () => {
    const hashes = { sourceHash: sourceHash(pairs), overlayHash: '' };
    const split = createSplit(pairs, hashes, { seed: 1, ratios: [60, 20, 20] });
    await built('train-split-1', retrievalLines(pairs, split), {
      scope: 'train',
      splitFile: '.medqa/splits/split-1.json',
      splitHash: split.splitHash,
    });
    const [entry] = await listIndexes(dir);
    assert.deepEqual(freshness(entry, split, hashOf(pairs)), { state: 'fresh' });
    const other = createSplit(pairs, hashes, { seed: 2, ratios: [60, 20, 20] });
    assert.deepEqual(freshness(entry, other, hashOf(pairs)), {
      state: 'stale',
      why: 'the split was made again',
    });
    assert.equal(freshness(entry, undefined, hashOf(pairs)).state, 'stale');
  });

  it('lists index folders with checked manifests, skips the trainer temp folders, prefers the "all" index', async () => {
    const lines = retrievalLines(pairs);
    await built('train-split-1', lines, { scope: 'train', splitFile: 'x.json', splitHash: 'h' });
    await built('all', lines);
    mkdirSync(path.join(dir, '.medqa', 'retrieval', '.all.tmp123'));
    mkdirSync(path.join(dir, '.medqa', 'retrieval', 'half-built'));
    mkdirSync(path.join(dir, '.medqa', 'retrieval', 'wrong'));
    writeFileSync(path.join(dir, '.medqa', 'retrieval', 'wrong', 'manifest.json'), '{"format": "other"}');
    const entries = await listIndexes(dir);
    assert.deepEqual(
      entries.map((e) => [e.paths.name, e.manifest?.pairs, e.problem]),
      [
        ['all', 11, undefined],
        ['half-built', undefined, 'no manifest.json (a build that did not finish)'],
        ['train-split-1', 11, undefined],
        [
          'wrong',
          undefined,
          'manifest.json is not a retrieval index manifest (Invalid type: Expected "medqa-retrieval-index" but received "other")',
        ],
      ],
    );
    assert.equal(preferredIndex(entries)?.paths.name, 'all');
    assert.equal(preferredIndex(entries.filter((e) => e.paths.name !== 'all'))?.paths.name, 'train-split-1');
    assert.equal(preferredIndex(entries.filter((e) => !e.manifest)), undefined);
    assert.deepEqual(await listIndexes(path.join(dir, 'nothing-here')), []);
  });

  it('describes an index for the view: pairs, size, short data hash, scope and staleness', async () => {
    const paths = await built('all', retrievalLines(pairs));
    const [entry] = await listIndexes(dir);
    const fresh = describeIndex(entry, { state: 'fresh' }, formatBytes);
    assert.equal(fresh.label, 'Retrieval index: all curated pairs');
    assert.equal(fresh.description, '11 pairs · 2.3 MB · data f00dfeed');
    assert.equal(fresh.stale, false);
    assert.ok(fresh.details.includes('Up to date with the curated data'), fresh.details.join('\n'));
    const stale = describeIndex(entry, { state: 'stale', why: 'the curated data changed' }, formatBytes);
    assert.equal(stale.description, '11 pairs · 2.3 MB · data f00dfeed · stale');
    assert.ok(stale.details.includes('Stale: the curated data changed. Rebuild it.'));

    const train: IndexEntry = {
      ...entry,
      record: { ...entry.record!, scope: 'train', splitFile: '.medqa/splits/split-42.json' },
    };
    assert.equal(
      describeIndex(train, { state: 'fresh' }, formatBytes).label,
      'Retrieval index: training split of split-42.json',
    );
    const broken = describeIndex({ paths, problem: 'no manifest.json' }, { state: 'fresh' }, formatBytes);
    assert.equal(broken.description, 'unusable: no manifest.json');

    await deleteIndex(paths);
    assert.deepEqual(
      [paths.dir, paths.pairsFile, paths.buildFile].map((f) => existsSync(f)),
      [false, false, false],
    );
  });

  it('writes the pairs file whose hash the record keeps; kept up to date pair by pair, it stays equal', async () => {
    const lines = retrievalLines(pairs);
    const paths = indexPaths(dir, 'all');
    await writePairsFile(paths.pairsFile, lines);
    const text = readFileSync(paths.pairsFile, 'utf8');
    assert.equal(text, lines.join('\n') + '\n');
    assert.equal(pairsHash(text.trimEnd().split('\n')), pairsHash(lines));

    const overlay = await OverlayStore.load(dir);
    const split = createSplit(pairs, { sourceHash: sourceHash(pairs), overlayHash: '' }, { seed: 9 });
    const all = new CuratedLines().reset(pairs);
    const train = new CuratedLines(split).reset(pairs);
    const curated = () => pairs.map((p) => overlay.apply(p));
    const same = (what: string) => {
      assert.equal(all.hash(), pairsHash(retrievalLines(curated())), what);
      assert.equal(train.hash(), pairsHash(retrievalLines(curated(), split)), `${what} (with the split)`);
    };
    same('as imported');
    assert.equal(all.size, 11);
    const changed = async (id: string, change: Promise<unknown>) => {
      await change;
      for (const lines of [all, train]) lines.update(id, overlay.apply(pairs.find((p) => p.id === id)!));
    };
    const tick = pairs.find((p) => p.id === '9_CDC_QA/0000002/1')!;
    await changed(tick.id, overlay.editAnswer(tick, 'Edited.'));
    same('after an edit');
    await changed('2_GARD_QA/0000004/1', overlay.setExcluded('2_GARD_QA/0000004/1', 'x'));
    same('after an exclusion');
    assert.equal(all.size, 10);
    const unanswered = pairs.find((p) => p.answer.trim() === '')!;
    await changed(unanswered.id, overlay.editAnswer(unanswered, 'Now it has an answer.'));
    same('after answering an unanswered pair');
    assert.equal(all.size, 11);
    await changed('2_GARD_QA/0000004/1', overlay.revert('2_GARD_QA/0000004/1'));
    same('after a revert');
    const before = all.hash();
    await changed(tick.id, overlay.setFlag(tick.id, 'check'));
    assert.equal(all.hash(), before, 'a flag changes nothing');
    all.update(tick.id, undefined);
    assert.notEqual(all.hash(), before, 'a pair gone from the source');
  });
});
