import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  findExportFolders,
  readExportFolder,
  resolveModelReference,
} from '../../../src/training/trainingInputs';
import { Commands } from '../../../src/commands';
import { PrerequisiteError } from '../../../src/util/prerequisite';

function writeExport(dir: string, manifest: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  for (const split of ['train', 'validation', 'test'])
    writeFileSync(path.join(dir, `${split}.jsonl`), '{}\n');
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      format: 'medqa-chat-jsonl',
      version: 1,
      createdAt: '2025-01-01T00:00:00Z',
      seed: 42,
      ratios: [0.8, 0.1, 0.1],
      counts: { train: 8, validation: 1, test: 1, excluded: 0, unanswered: 0 },
      files: { train: 'train.jsonl', validation: 'validation.jsonl', test: 'test.jsonl' },
      sourceHash: 'a',
      overlayHash: 'b',
      splitHash: 'c',
      systemPrompt: null,
      ...manifest,
    }),
  );
}

describe('training inputs', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-inputs-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads an export folder per contract #1', async () => {
    writeExport(path.join(root, 'e'));
    const folder = await readExportFolder(path.join(root, 'e'));
    assert.equal(folder.trainFile, path.join(root, 'e', 'train.jsonl'));
    assert.equal(folder.validationFile, path.join(root, 'e', 'validation.jsonl'));
    assert.deepEqual(folder.counts, { train: 8, validation: 1, test: 1 });
  });

  it('says what is wrong with a folder that is not a usable export', async () => {
    mkdirSync(path.join(root, 'empty'));
    // The message says what is missing; its button (the remedy) runs Export for Training.
    await assert.rejects(
      readExportFolder(path.join(root, 'empty')),
      (error: unknown) =>
        error instanceof PrerequisiteError &&
        /no manifest\.json.*Export the dataset for training first/.test(error.message) &&
        error.remedy.command === Commands.datasetExport,
    );
    writeExport(path.join(root, 'other'), { format: 'alpaca' });
    await assert.rejects(readExportFolder(path.join(root, 'other')), /expected "medqa-chat-jsonl"/);
    writeExport(path.join(root, 'nosplit'));
    rmSync(path.join(root, 'nosplit', 'validation.jsonl'));
    await assert.rejects(readExportFolder(path.join(root, 'nosplit')), /lacks its validation split/);
    writeExport(path.join(root, 'bad'));
    writeFileSync(path.join(root, 'bad', 'manifest.json'), '{');
    await assert.rejects(readExportFolder(path.join(root, 'bad')), /not valid JSON/);
  });

  it('finds usable exports under .medqa/exports, newest first', async () => {
    writeExport(path.join(root, '.medqa', 'exports', 'old'), { createdAt: '2024-01-01T00:00:00Z' });
    writeExport(path.join(root, '.medqa', 'exports', 'new'), { createdAt: '2025-06-01T00:00:00Z' });
    mkdirSync(path.join(root, '.medqa', 'exports', 'junk'));
    const found = await findExportFolders(root);
    assert.deepEqual(
      found.map((f) => path.basename(f.dir)),
      ['new', 'old'],
    );
    assert.deepEqual(await findExportFolders(path.join(root, 'nowhere')), []);
  });

  it('tells a model folder from a hub id', () => {
    const model = path.join(root, 'tiny');
    mkdirSync(model);
    writeFileSync(path.join(model, 'config.json'), '{}');
    assert.deepEqual(resolveModelReference(model, root), { kind: 'folder', path: model });
    assert.deepEqual(resolveModelReference('tiny', root), { kind: 'folder', path: model });
    assert.deepEqual(resolveModelReference(' Qwen/Qwen3-0.6B ', root), {
      kind: 'hub',
      id: 'Qwen/Qwen3-0.6B',
    });
    assert.throws(() => resolveModelReference(path.join(root, 'missing'), root), /does not exist/);
    assert.throws(() => resolveModelReference(root, root), /no config\.json/);
    assert.throws(() => resolveModelReference('not a model', root), /neither a model folder nor a hub id/);
    assert.throws(() => resolveModelReference('  ', root), /Enter a model/);
  });
});
