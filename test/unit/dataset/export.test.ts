import * as assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { assertOutsideSources, exportNameProblem, exportSplit } from '../../../src/dataset/export';
import { sourceHash } from '../../../src/dataset/hash';
import { importDataset } from '../../../src/dataset/import';
import { OverlayStore } from '../../../src/dataset/overlay';
import { createSplit } from '../../../src/dataset/split';
import { fixturesDir } from '../../support/paths';

const medquad = path.join(fixturesDir, 'medquad', 'MedQuAD');

function readJsonl(
  file: string,
): { id: string; messages: { role: string; content: string }[]; qtype: string; source: string }[] {
  const text = readFileSync(file, 'utf8');
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
}

describe('export (contract #1: chat JSONL + manifest)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'medqa-export-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the three splits and the manifest with overlay edits applied and exclusions left out', async () => {
    const { pairs } = await importDataset(medquad);
    const overlay = await OverlayStore.load(dir);
    const edited = pairs.find((p) => p.id === '9_CDC_QA/0000002/1')!;
    await overlay.editAnswer(edited, 'Edited: use repellent and check for ticks.');
    await overlay.setExcluded('6_NINDS_QA/0000007/2', 'too short');
    const curated = pairs.map((p) => overlay.apply(p));
    const hashes = { sourceHash: sourceHash(pairs), overlayHash: overlay.hash() };
    const split = createSplit(curated, hashes, { seed: 1, ratios: [60, 20, 20] });
    const out = path.join(dir, 'export');
    const result = await exportSplit(curated, split, out, hashes, {
      systemPrompt: 'You are a careful medical assistant.',
      now: () => new Date('2026-02-03T04:05:06.000Z'),
    });
    assert.deepEqual(readdirSync(out).sort(), [
      'manifest.json',
      'test.jsonl',
      'train.jsonl',
      'validation.jsonl',
    ]);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest).sort(), [
      'counts',
      'createdAt',
      'files',
      'format',
      'overlayHash',
      'ratios',
      'seed',
      'sourceHash',
      'splitHash',
      'systemPrompt',
      'version',
    ]);
    assert.equal(manifest.format, 'medqa-chat-jsonl');
    assert.equal(manifest.version, 1);
    assert.equal(manifest.createdAt, '2026-02-03T04:05:06.000Z');
    assert.equal(manifest.seed, 1);
    assert.deepEqual(manifest.ratios, [0.6, 0.2, 0.2]);
    assert.deepEqual(manifest.files, {
      train: 'train.jsonl',
      validation: 'validation.jsonl',
      test: 'test.jsonl',
    });
    assert.equal(manifest.systemPrompt, 'You are a careful medical assistant.');
    assert.equal(manifest.splitHash, split.splitHash);
    assert.equal(manifest.overlayHash, overlay.hash());
    assert.deepEqual(manifest.counts, { ...split.counts, excluded: 1, unanswered: 4 });
    assert.equal(result.staleSource, false);

    const all = ['train', 'validation', 'test'].flatMap((name) => readJsonl(path.join(out, `${name}.jsonl`)));
    assert.equal(all.length, 10, '15 pairs - 4 unanswered - 1 excluded');
    assert.equal(manifest.counts.train + manifest.counts.validation + manifest.counts.test, 10);
    const assigned = new Map(split.assignments.map((a) => [a.id, a.split]));
    for (const record of all) {
      // Contract #1's fields first, then the document metadata the source has and the pair's split.
      assert.deepEqual(Object.keys(record).slice(0, 4), ['id', 'messages', 'qtype', 'source']);
      const meta = record as unknown as Record<string, unknown>;
      assert.equal(meta.collection, record.id.split('/')[0]);
      assert.equal(meta.split, assigned.get(record.id));
      assert.deepEqual(
        record.messages.map((m) => m.role),
        ['system', 'user', 'assistant'],
      );
      assert.ok(record.messages[2].content.trim() !== '');
    }
    const tick = all.find((r) => r.id === '9_CDC_QA/0000002/1')!;
    assert.equal(tick.messages[2].content, 'Edited: use repellent and check for ticks.');
    assert.equal(tick.messages[1].content, 'How to prevent Tick Bites ?');
    assert.equal(tick.source, 'CDC');
    assert.equal(tick.qtype, 'prevention');
    // Metadata for the retrieval index: focus and URL as the XML has them; its empty <CUI> gives no `cuis` field.
    assert.deepEqual(
      Object.fromEntries(
        ['focus', 'url', 'collection', 'cuis'].map((key) => [key, (tick as Record<string, unknown>)[key]]),
      ),
      {
        focus: 'Tick Bites',
        url: 'https://example.org/cdc/tick-bites',
        collection: '9_CDC_QA',
        cuis: undefined,
      },
    );
    const gard = all.find((r) => r.id === '2_GARD_QA/0000004/1') as Record<string, unknown> | undefined;
    assert.ok(gard, 'the answered GARD pair with CUIs is exported');
    assert.deepEqual(gard.cuis, ['C0000004', 'C0000005']);
    assert.equal(gard.focus, 'Sample syndrome');
    assert.ok(!all.some((r) => r.id === '6_NINDS_QA/0000007/2'));
  });

  it('omits the system turn without a prompt and reports pairs the split does not know', async () => {
    const { pairs } = await importDataset(medquad);
    const hashes = { sourceHash: sourceHash(pairs), overlayHash: 'none' };
    const split = createSplit(pairs.slice(0, 5), { ...hashes, sourceHash: 'older' });
    const result = await exportSplit(pairs, split, dir, hashes);
    assert.equal(result.manifest.systemPrompt, null);
    assert.equal(result.staleSource, true);
    assert.ok(result.unassigned.length > 0);
    const first = readJsonl(path.join(dir, 'train.jsonl'))[0];
    assert.deepEqual(
      first.messages.map((m) => m.role),
      ['user', 'assistant'],
    );
  });

  it('a re-export that fails part-way leaves no manifest vouching for the old files (the manifest goes first)', async () => {
    const { pairs } = await importDataset(medquad);
    const hashes = { sourceHash: sourceHash(pairs), overlayHash: 'none' };
    const split = createSplit(pairs, hashes, { seed: 3 });
    await exportSplit(pairs, split, dir, hashes);
    assert.ok(existsSync(path.join(dir, 'manifest.json')));
    // A folder where validation.jsonl goes makes the second export fail after train.jsonl.
    rmSync(path.join(dir, 'validation.jsonl'));
    mkdirSync(path.join(dir, 'validation.jsonl', 'blocker'), { recursive: true });
    writeFileSync(path.join(dir, 'validation.jsonl', 'blocker', 'x'), 'x');
    await assert.rejects(exportSplit(pairs, createSplit(pairs, hashes, { seed: 4 }), dir, hashes));
    assert.equal(existsSync(path.join(dir, 'manifest.json')), false);
  });

  it('refuses export names that are not plain folder names, "." and ".." included', () => {
    for (const name of ['..', '.', '...', 'a/b', '../x', 'with space', ''])
      assert.match(exportNameProblem(name) ?? '', /is not a valid export name/, name);
    for (const name of ['split-42-20261129-1200', 'v1.2', '.hidden', 'a..b'])
      assert.equal(exportNameProblem(name), undefined);
  });

  it('refuses to write into a source folder', () => {
    assert.throws(
      () => assertOutsideSources(path.join(medquad, 'out'), [medquad]),
      /Refusing to write into the source/,
    );
    assert.throws(() => assertOutsideSources(medquad, [medquad]), /Refusing/);
    assert.doesNotThrow(() => assertOutsideSources(path.join(medquad, '..', 'exports'), [medquad]));
  });
});
