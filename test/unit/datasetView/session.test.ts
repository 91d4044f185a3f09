import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkspaceStore } from '../../../src/dataset/workspaceStore';
import { DatasetSession, duplicatesPath } from '../../../src/dataset/view/session';
import { fixturesDir } from '../../support/paths';

describe('dataset view: the session (sources, problems, overlay, duplicates)', () => {
  let workspace: string;
  beforeEach(() => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'medqa-session-'));
    cpSync(path.join(fixturesDir, 'medquad'), path.join(workspace, 'data'), { recursive: true });
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  const addSources = async (...relative: string[]) => {
    const store = await WorkspaceStore.load(workspace);
    for (const source of relative) await store.addSource(path.join(workspace, source));
  };

  it('is empty without sources, and loads every recorded source with problems located on disk', async () => {
    const empty = new DatasetSession(workspace);
    await empty.load();
    assert.equal(empty.status, 'empty');
    await addSources('data/MedQuAD', 'data/broken/5_NIDDK_QA', 'data/tables/faq.csv');
    const session = new DatasetSession(workspace);
    const changes: string[] = [];
    session.onDidChange((change) => changes.push(change.kind));
    await session.load();
    assert.equal(session.status, 'ready');
    assert.deepEqual(changes, ['data', 'data'], 'one event when loading starts, one when it ends');
    assert.equal(session.sources.length, 3);
    assert.equal(
      session.pairs.length,
      session.sources.reduce((sum, s) => sum + s.pairs.length, 0),
    );
    const broken = session.problems.find((p) => p.file === '0000001.xml');
    assert.equal(broken?.path, path.join(workspace, 'data', 'broken', '5_NIDDK_QA', '0000001.xml'));
    assert.equal(broken?.line, 11);
    const first = session.pairs[0];
    assert.equal(session.pair(first.id), first);
    assert.equal(session.curated(first.id)?.edited, false);
  });

  it('refuses an overlay file it must not overwrite, says which file, and leaves it untouched', async () => {
    await addSources('data/MedQuAD');
    mkdirSync(path.join(workspace, '.medqa'), { recursive: true });
    const overlay = path.join(workspace, '.medqa', 'overlay.json');
    writeFileSync(overlay, '{ "not": "ours" }');
    const session = new DatasetSession(workspace);
    await assert.rejects(session.load(), /overlay\.json is not a MedQA overlay file/);
    assert.match(session.loadError ?? '', /overlay\.json/);
    assert.equal(readFileSync(overlay, 'utf8'), '{ "not": "ours" }');
  });

  it('keeps a duplicate scan in .medqa/duplicates.json and reads it back', async () => {
    await addSources('data/MedQuAD');
    const session = new DatasetSession(workspace);
    await session.load();
    const [a, b, c] = session.pairs.map((pair) => pair.id);
    await session.setDuplicates({
      format: 'medqa-duplicates',
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      threshold: 0.8,
      questions: [{ kind: 'exact', ids: [a, b], similarity: 1, sample: 'x' }],
      answers: [{ kind: 'near', ids: [a, c], similarity: 0.9, sample: 'y' }],
    });
    const again = new DatasetSession(workspace);
    await again.load();
    assert.deepEqual(again.duplicatesOf(a).sort(), [b, c].sort());
    assert.deepEqual(again.duplicatesOf(b), [a]);
    assert.ok(JSON.parse(readFileSync(duplicatesPath(workspace), 'utf8')).questions.length === 1);
  });

  it('needs a folder before it writes anything', async () => {
    await assert.rejects(new DatasetSession('').workspace(), /Open a folder first/);
  });
});
