import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { QaPair } from '../../../src/dataset/model';
import { OverlayStore } from '../../../src/dataset/overlay';
import { OverlayFormatError, overlayPath } from '../../../src/dataset/overlayFile';
import { WorkspaceStore } from '../../../src/dataset/workspaceStore';

const document = { id: 'd', collection: 'c', source: 's', file: 'c/d.xml' };
const pair = (id: string, question = `Q ${id}?`, answer = `A ${id}.`): QaPair => ({
  id,
  document,
  pid: id,
  qtype: 'information',
  question,
  answer,
});
const clock = () => new Date('2026-01-02T03:04:05.000Z');

describe('overlay store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'medqa-overlay-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies edits, flags, exclusions and notes and reloads them from .medqa/overlay.json', async () => {
    const store = await OverlayStore.load(dir, { now: clock });
    const p = pair('c/d/1');
    await store.editAnswer(p, 'A better answer.');
    await store.editQuestion(p, 'A better question?');
    await store.setFlag(p.id, 'check dosage');
    await store.setExcluded('c/d/2', 'off topic');
    await store.setNote(p.id, 'asked a clinician');

    const reloaded = await OverlayStore.load(dir);
    const curated = reloaded.apply(p);
    assert.equal(curated.question, 'A better question?');
    assert.equal(curated.answer, 'A better answer.');
    assert.equal(curated.originalAnswer, 'A ' + 'c/d/1.');
    assert.equal(curated.edited, true);
    assert.deepEqual(curated.flagged, { reason: 'check dosage', at: '2026-01-02T03:04:05.000Z' });
    assert.equal(curated.note, 'asked a clinician');
    assert.deepEqual(reloaded.apply(pair('c/d/2')).excluded, {
      reason: 'off topic',
      at: '2026-01-02T03:04:05.000Z',
    });
    assert.equal(reloaded.apply(pair('c/d/3')).edited, false);

    const file = JSON.parse(readFileSync(overlayPath(dir), 'utf8'));
    assert.equal(file.format, 'medqa-overlay');
    assert.equal(file.version, 1);
    assert.deepEqual(Object.keys(file.pairs), ['c/d/1', 'c/d/2']);
    assert.deepEqual(readdirSync(path.join(dir, '.medqa')), ['overlay.json'], 'no temp files left behind');
  });

  it('undoes the last change first, also after clearing, and notifies listeners', async () => {
    const store = await OverlayStore.load(dir, { now: clock });
    const p = pair('x/1/1');
    const labels: string[] = [];
    store.onDidChange((change) => labels.push(change.label));
    await store.editAnswer(p, 'one');
    await store.editAnswer(p, 'two');
    await store.setExcluded(p.id, 'dup');
    await store.setExcluded(p.id, undefined);
    assert.equal(store.undoLabel, 'Include');
    await store.undo();
    assert.ok(store.apply(p).excluded);
    await store.undo();
    assert.equal(store.apply(p).excluded, undefined);
    assert.equal(store.apply(p).answer, 'two');
    await store.undo();
    assert.equal((await OverlayStore.load(dir)).apply(p).answer, 'one', 'undo is saved');
    await store.undo();
    assert.equal(store.get(p.id), undefined, 'undoing the first edit removes the entry');
    assert.equal(store.canUndo, false);
    assert.equal(await store.undo(), undefined);
    assert.deepEqual(labels, [
      'Edit answer',
      'Edit answer',
      'Exclude',
      'Include',
      'Undo include',
      'Undo exclude',
      'Undo edit answer',
      'Undo edit answer',
    ]);
  });

  it('editing back to the source text drops the edit; revert clears everything', async () => {
    const store = await OverlayStore.load(dir);
    const p = pair('x/1/1');
    await store.editAnswer(p, 'changed');
    await store.editAnswer(p, p.answer);
    assert.equal(store.get(p.id), undefined);
    await store.setFlag(p.id, 'why');
    await store.setNote(p.id, 'n');
    await store.revert(p.id);
    assert.equal(store.size, 0);
  });

  it('hashes content, not history', async () => {
    const a = await OverlayStore.load(dir, { now: clock });
    const other = mkdtempSync(path.join(tmpdir(), 'medqa-overlay-'));
    try {
      const b = await OverlayStore.load(other, { now: clock });
      await a.setNote('p1', 'x');
      await a.setNote('p2', 'y');
      await b.setNote('p2', 'y');
      await b.setNote('p1', 'tmp');
      await b.setNote('p1', 'x');
      assert.equal(a.hash(), b.hash());
      await b.setNote('p1', 'z');
      assert.notEqual(a.hash(), b.hash());
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses files it must not overwrite: invalid JSON, another format, a newer version', async () => {
    mkdirSync(path.join(dir, '.medqa'));
    const file = overlayPath(dir);
    writeFileSync(file, '{ broken');
    await assert.rejects(
      OverlayStore.load(dir),
      (e: Error) => e instanceof OverlayFormatError && /not valid JSON/.test(e.message),
    );
    writeFileSync(file, JSON.stringify({ hello: 1 }));
    await assert.rejects(OverlayStore.load(dir), /not a MedQA overlay file/);
    writeFileSync(file, JSON.stringify({ format: 'medqa-overlay', version: 99, pairs: {} }));
    await assert.rejects(OverlayStore.load(dir), /version 99/);
    assert.equal(
      readFileSync(file, 'utf8'),
      JSON.stringify({ format: 'medqa-overlay', version: 99, pairs: {} }),
    );
  });

  it('serialises concurrent changes so the file ends with all of them', async () => {
    const store = await OverlayStore.load(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.setNote(`p${i}`, `note ${i}`)));
    const reloaded = await OverlayStore.load(dir);
    assert.equal(reloaded.size, 20);
  });
});

describe('workspace store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'medqa-ws-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records sources (relative inside the workspace) and the last split and export', async () => {
    const store = await WorkspaceStore.load(dir, { now: clock });
    await store.addSource(path.join(dir, 'data', 'MedQuAD'));
    await store.addSource('/elsewhere/faq.csv');
    await store.addSource(path.join(dir, 'data', 'MedQuAD'));
    await store.setLastSplit(path.join(dir, '.medqa', 'split.json'), 7, [0.8, 0.1, 0.1]);
    await store.setLastExport(path.join(dir, '.medqa', 'exports', 'e1'));
    const file = JSON.parse(readFileSync(path.join(dir, '.medqa', 'workspace.json'), 'utf8'));
    assert.deepEqual(
      file.sources.map((s: { path: string }) => s.path),
      ['data/MedQuAD', '/elsewhere/faq.csv'],
    );
    assert.equal(file.lastSplit.path, '.medqa/split.json');
    const reloaded = await WorkspaceStore.load(dir);
    assert.deepEqual(reloaded.sources(), [path.join(dir, 'data', 'MedQuAD'), '/elsewhere/faq.csv']);
    assert.equal(reloaded.lastSplit?.seed, 7);
    assert.equal(reloaded.lastExport?.path, path.join(dir, '.medqa', 'exports', 'e1'));
    await reloaded.removeSource('/elsewhere/faq.csv');
    assert.deepEqual((await WorkspaceStore.load(dir)).sources(), [path.join(dir, 'data', 'MedQuAD')]);
  });

  it('rejects a file that is not a workspace file', async () => {
    mkdirSync(path.join(dir, '.medqa'));
    writeFileSync(path.join(dir, '.medqa', 'workspace.json'), '[]');
    await assert.rejects(WorkspaceStore.load(dir), /not a MedQA workspace file/);
  });
});
