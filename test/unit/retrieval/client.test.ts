import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { RetrievalClient, RetrievalError, serveArgs } from '../../../src/retrieval/client';
import { ServerSlot } from '../../../src/retrieval/serverSlot';
import { fixturesDir } from '../../support/paths';
import { isAlive as alive } from '../../support/processes';

const server = path.join(fixturesDir, 'fake_retrieval', 'server.js');

function start(mode = 'serve', extra: Partial<Parameters<typeof RetrievalClient.start>[0]> = {}) {
  const log: string[] = [];
  const started = RetrievalClient.start({
    python: process.execPath,
    args: [server, mode],
    env: process.env,
    onLog: (line) => log.push(line),
    ...extra,
  });
  return { started, log };
}

/** The server's pid, from the process layer (for checking that dispose ends it). */
const pidOf = (client: RetrievalClient): number =>
  (client as unknown as { command: { pid: number } }).command.pid;

describe('retrieval client (retrieve --serve over JSON lines)', () => {
  const clients: RetrievalClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });

  it('runs `retrieve --index DIR --serve` through the trainer module', () => {
    assert.deepEqual(serveArgs('/w/.medqa/retrieval/all'), [
      '-m',
      'medqa_trainer',
      'retrieve',
      '--index',
      '/w/.medqa/retrieval/all',
      '--serve',
    ]);
  });

  it('waits for the ready line, skipping other output, and returns checked hits for each request', async () => {
    const { started, log } = start();
    const client = await started;
    clients.push(client);
    assert.deepEqual(client.ready, { ready: true, pairs: 3, data_hash: 'abc123' });
    assert.ok(log.includes('a warning some library printed on stdout'), log.join('\n'));

    const result = await client.search({ query: 'celiac disease', k: 2, qtype: 'treatment' });
    assert.deepEqual(
      result.hits.map((h) => [h.id, h.rank, h.url]),
      [
        ['C/1/1', 1, 'https://example.org/a'],
        ['A/2/1', 2, null],
      ],
    );
    assert.equal(result.elapsedMs, 0.5);
    assert.ok(!('extra_field' in result.hits[0]), 'fields outside the contract are dropped');
    // The request line: our own numeric id, the query, k and qtype; nothing undefined.
    const sent = log.filter((l) => l.startsWith('request ')).map((l) => JSON.parse(l.slice(8)) as unknown);
    assert.deepEqual(sent, [{ id: 1, query: 'celiac disease', k: 2, qtype: 'treatment' }]);

    const rag = await client.search({ query: 'what is it', k: 1, rag: true });
    assert.match(rag.userContent ?? '', /^Sources:\n\[1\]/);
  });

  it('matches replies by id when they arrive out of order', async () => {
    const { started } = start();
    const client = await started;
    clients.push(client);
    const order: string[] = [];
    const slow = client.search({ query: 'slow one', k: 1 }).then((r) => order.push(`slow:${r.hits.length}`));
    const fast = client.search({ query: 'fast', k: 3 }).then((r) => order.push(`fast:${r.hits.length}`));
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ['fast:3', 'slow:1']);
  });

  it("rejects with the server's error reply or a reply outside the contract, times out, and the server goes on", async () => {
    const { started } = start();
    const client = await started;
    clients.push(client);
    await assert.rejects(client.search({ query: 'bad', k: 1 }), (error: Error) => {
      assert.ok(error instanceof RetrievalError);
      assert.match(error.message, /k must be from 1 to 100/);
      return true;
    });
    await assert.rejects(client.search({ query: 'garbage', k: 1 }), /reply is not understood \(hits\.0\./);
    await assert.rejects(client.search({ query: 'hang', k: 1 }, 200), /did not answer within 0.2 s/);
    assert.equal((await client.search({ query: 'after', k: 1 })).hits.length, 1);
  });

  it('fails pending and later requests with the reason when the server dies', async () => {
    const { started } = start();
    const client = await started;
    clients.push(client);
    const pending = client.search({ query: 'hang', k: 1 }, 5_000).catch((error: Error) => error);
    await assert.rejects(client.search({ query: 'die', k: 1 }), /the index folder disappeared/);
    assert.match(String(await pending), /stopped: the index folder disappeared/);
    assert.equal(client.running, false);
    await assert.rejects(client.search({ query: 'again', k: 1 }), /stopped/);
  });

  it("reports the server's own error when it exits before it is ready", async () => {
    await assert.rejects(start('fail').started, (error: Error) => {
      assert.ok(error instanceof RetrievalError);
      assert.match(error.message, /not a retrieval index \(no manifest\.json\)/);
      return true;
    });
  });

  it('gives up on a server that never gets ready, and ends it', async () => {
    await assert.rejects(start('silent', { startTimeoutMs: 300 }).started, /did not get ready within 0.3 s/);
  });

  it('dispose closes stdin so the server exits; one that ignores it is signalled', async () => {
    const polite = await start().started;
    const stubborn = await start('stubborn').started;
    const pids = [pidOf(polite), pidOf(stubborn)];
    const pending = stubborn.search({ query: 'hang', k: 1 }, 10_000).catch((error: Error) => error);
    await Promise.all([polite.dispose(), stubborn.dispose()]);
    assert.match(String(await pending), /closed/);
    for (const pid of pids) assert.equal(alive(pid), false, `server ${pid} still runs`);
  });
});

describe('retrieval server slot (one server, reused)', () => {
  interface FakeClient {
    dir: string;
    running: boolean;
    disposed: boolean;
    dispose(): Promise<void>;
  }
  const fake = (dir: string): FakeClient => ({
    dir,
    running: true,
    disposed: false,
    async dispose() {
      this.disposed = true;
      this.running = false;
    },
  });

  it('starts on first use, reuses it, replaces it for another index or after it died, remembers a failed start', async () => {
    const started: FakeClient[] = [];
    let failNext = false;
    const slot = new ServerSlot(async (dir) => {
      if (failNext) throw new Error(`no Python for ${dir}`);
      const client = fake(dir);
      started.push(client);
      return client as unknown as RetrievalClient;
    });
    const a = await slot.client('/a');
    assert.equal(await slot.client('/a'), a);
    assert.equal(started.length, 1);

    const b = (await slot.client('/b')) as unknown as FakeClient;
    assert.equal(started.length, 2);
    assert.equal(started[0].disposed, true, 'the server of the other index was disposed');

    b.running = false; // killed from outside
    const b2 = await slot.client('/b');
    assert.notEqual(b2, b as unknown);
    assert.equal(started.length, 3);

    await slot.reset();
    assert.equal(started[2].disposed, true);
    assert.equal(slot.indexDir, undefined);

    failNext = true;
    await assert.rejects(slot.client('/c'), /no Python for \/c/);
    failNext = false;
    await assert.rejects(slot.client('/c'), /no Python/, 'a failed start is not retried per request');
    await slot.reset();
    assert.ok(await slot.client('/c'));
    assert.equal(started.length, 4);
  });
});
