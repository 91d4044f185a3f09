// The extension's side of retrieval against the real trainer (the project venv): the pairs file it writes is what
// `index build` reads, the manifest it writes passes the extension's schema, and `retrieve --serve` answers the
// client. A change on either side of the contract fails here.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sourceHash } from '../../../src/dataset/hash';
import { importDataset } from '../../../src/dataset/import';
import type { QaPair } from '../../../src/dataset/model';
import { createSplit, writeSplit } from '../../../src/dataset/split';
import { trainerEnv } from '../../../src/trainer/pythonEnvironment';
import { RetrievalClient, serveArgs } from '../../../src/retrieval/client';
import {
  buildArgs,
  indexPaths,
  listIndexes,
  retrievalLines,
  writePairsFile,
  type IndexPaths,
} from '../../../src/retrieval/indexes';
import { runTrainerCommand } from '../../../src/trainer/process';
import { fixturesDir, repoRoot } from '../../support/paths';

const python = path.join(repoRoot, '.venv', 'bin', 'python');
const env = trainerEnv(repoRoot);

describe('retrieval with the real trainer (index build, retrieve --serve)', function () {
  this.timeout(120_000);
  let dir: string;
  let pairs: QaPair[];
  const clients: RetrievalClient[] = [];

  before(async () => {
    assert.ok(existsSync(python), `these tests need the project venv at ${python}`);
    ({ pairs } = await importDataset(path.join(fixturesDir, 'medquad', 'MedQuAD')));
  });
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'medqa-retrieval-real-'))));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function build(paths: IndexPaths, splitFile?: string): Promise<string[]> {
    const output: string[] = [];
    const exit = await runTrainerCommand({
      python,
      args: buildArgs(paths, splitFile),
      env,
      graceMs: 2_000,
      onOutput: (line) => output.push(line),
    });
    assert.equal(exit.code, 0, output.join('\n'));
    return output;
  }

  async function serve(paths: IndexPaths): Promise<RetrievalClient> {
    const client = await RetrievalClient.start({ python, args: serveArgs(paths.dir), env });
    clients.push(client);
    return client;
  }

  it('builds the "all" index from the pairs file and ranks with it through the client', async () => {
    const paths = indexPaths(dir, 'all');
    const lines = retrievalLines(pairs);
    await writePairsFile(paths.pairsFile, lines);
    const output = await build(paths);
    assert.ok(
      output.some((line) => /^index: /.test(line)),
      `phase lines for the progress: ${output.join('\n')}`,
    );

    const [entry] = await listIndexes(dir);
    assert.equal(entry.problem, undefined);
    assert.equal(entry.manifest?.pairs, lines.length);
    assert.match(entry.manifest?.data_hash ?? '', /^[0-9a-f]{64}$/);
    assert.ok((entry.manifest?.size_bytes ?? 0) > 0);

    const client = await serve(paths);
    assert.equal(client.ready.pairs, lines.length);
    assert.equal(client.ready.data_hash, entry.manifest?.data_hash);
    const result = await client.search({ query: 'how do I prevent tick bites', k: 3 });
    assert.equal(result.hits[0]?.id, '9_CDC_QA/0000002/1', JSON.stringify(result.hits, null, 1));
    assert.equal(result.hits[0].url, 'https://example.org/cdc/tick-bites');
    assert.equal(result.hits[0].focus, 'Tick Bites');
  });

  it("a training-split index holds only the split's training pairs", async () => {
    const split = createSplit(pairs, { sourceHash: sourceHash(pairs), overlayHash: '' }, { seed: 5 });
    const splitFile = path.join(dir, '.medqa', 'splits', 'split-5.json');
    await writeSplit(splitFile, split);
    const paths = indexPaths(dir, 'train-split-5');
    await writePairsFile(paths.pairsFile, retrievalLines(pairs, split));
    await build(paths, splitFile);
    const train = new Set(split.assignments.filter((a) => a.split === 'train').map((a) => a.id));
    const [entry] = await listIndexes(dir);
    assert.equal(entry.manifest?.pairs, train.size);
    assert.deepEqual(entry.manifest?.source?.splits, ['train']);

    const client = await serve(paths);
    const result = await client.search({ query: 'what causes symptoms treatment disease', k: 100 });
    assert.ok(result.hits.length > 0);
    for (const hit of result.hits) assert.ok(train.has(hit.id), `${hit.id} is not a training pair`);
  });
});
