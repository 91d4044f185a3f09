import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CATALOG,
  catalogEntry,
  describeEntry,
  localModels,
  MANIFEST_NAME,
  modelsDirectory,
  probeHub,
} from '../../../src/training/modelCatalog';
import { modelArgument, resolveModelReference } from '../../../src/training/trainingInputs';

const SMOLLM2 = 'smollm2-135m-instruct';

describe('local model catalogue', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-models-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is the very file the trainer reads', () => {
    const file = path.join(__dirname, '../../../../trainer/medqa_trainer/catalog.json');
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { models: unknown[] };
    assert.deepEqual(CATALOG, onDisk.models);
    assert.equal(CATALOG[0].name, SMOLLM2);
    assert.equal(describeEntry(catalogEntry(SMOLLM2)!), '135 M parameters · Apache-2.0');
  });

  it('finds the models directory as the trainer does', () => {
    assert.equal(modelsDirectory({ MEDQA_MODELS_DIR: '/m' }), '/m');
    assert.equal(modelsDirectory({ XDG_CACHE_HOME: '/c' }), path.join('/c', 'medqa-studio', 'models'));
    assert.equal(modelsDirectory({}), path.join(os.homedir(), '.cache', 'medqa-studio', 'models'));
  });

  it('counts a model as installed only once its manifest exists', async () => {
    mkdirSync(path.join(root, SMOLLM2));
    assert.equal((await localModels(root))[0].path, undefined, 'an interrupted install is not installed');
    writeFileSync(path.join(root, SMOLLM2, MANIFEST_NAME), '{}');
    const [model] = await localModels(root);
    assert.equal(model.entry.name, SMOLLM2);
    assert.equal(model.path, path.join(root, SMOLLM2));
  });

  it('takes catalogue names as model references, passed on by name', () => {
    const reference = resolveModelReference(SMOLLM2, root);
    assert.deepEqual(reference, { kind: 'catalog', name: SMOLLM2 });
    assert.equal(modelArgument(reference), SMOLLM2);
    assert.deepEqual(resolveModelReference('Qwen/Qwen3-0.6B', root), { kind: 'hub', id: 'Qwen/Qwen3-0.6B' });
  });

  it('probes the hub with a bounded TCP connect', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      assert.equal(await probeHub(2000, '127.0.0.1', port), true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const started = Date.now();
    assert.equal(await probeHub(2000, '127.0.0.1', port), false, 'nothing listens there any more');
    assert.ok(Date.now() - started < 2500);
  });
});
