import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import type { PairOverlay } from '../../../src/dataset/model';
import { OverlayLockError, OverlayStore, type OverlayStoreOptions } from '../../../src/dataset/overlay';
import { OverlayFormatError, overlayPath } from '../../../src/dataset/overlayFile';
import { DatasetSession, type SessionChange } from '../../../src/dataset/view/session';
import { WorkspaceStore } from '../../../src/dataset/workspaceStore';
import { fixedClock, FIXED_NOW, Oracle, planOperations, runOp, type Op } from './overlayOps';

const options: OverlayStoreOptions = { now: fixedClock };
const at = FIXED_NOW.toISOString();

function filePairs(dir: string): Record<string, PairOverlay> {
  return (JSON.parse(readFileSync(overlayPath(dir), 'utf8')) as { pairs: Record<string, PairOverlay> }).pairs;
}

function newDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'medqa-overlay-mp-'));
}

describe('overlay store: several writers on one folder', function () {
  // Each change is a lock, a read and an fsync'd write: milliseconds here, more on a busy CI machine.
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = newDir()));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps both windows' changes: a flags p1, then b (loaded before) notes p2", async () => {
    const a = await OverlayStore.load(dir, options);
    const b = await OverlayStore.load(dir, options);
    const seenByB: string[][] = [];
    b.onDidChangeExternally((ids) => seenByB.push([...ids]));
    await a.setFlag('p1', 'check');
    await b.setNote('p2', 'note');
    const reloaded = await OverlayStore.load(dir);
    assert.deepEqual(reloaded.get('p1'), { flag: { reason: 'check', at } });
    assert.deepEqual(reloaded.get('p2'), { note: 'note' });
    assert.deepEqual(b.get('p1'), { flag: { reason: 'check', at } }, "b picked up a's flag while writing");
    assert.deepEqual(seenByB, [['p1']], 'and announced it as an outside change');
    assert.deepEqual(await a.reload(), ['p2']);
    assert.equal(a.hash(), b.hash());
  });

  it('merges per field on one pair; on the same field the later write wins', async () => {
    const a = await OverlayStore.load(dir, options);
    const b = await OverlayStore.load(dir, options);
    await a.setFlag('p1', 'from a');
    await b.setNote('p1', 'from b');
    await b.update('p1', { answer: 'b answer' }, 'Edit answer');
    await a.update('p1', { question: 'a question' }, 'Edit question');
    await a.update('p1', { answer: 'a answer' }, 'Edit answer');
    assert.deepEqual(filePairs(dir).p1, {
      flag: { reason: 'from a', at },
      note: 'from b',
      question: 'a question',
      answer: 'a answer',
    });
  });

  it('undo restores only the fields it changed and keeps a newer value from another window', async () => {
    const a = await OverlayStore.load(dir, options);
    const b = await OverlayStore.load(dir, options);
    await a.setFlag('p1', 'a');
    await b.setNote('p1', 'b');
    const undone = await a.undo();
    assert.equal(undone?.label, 'Undo flag');
    assert.deepEqual(filePairs(dir).p1, { note: 'b' }, "b's note survives a's undo");

    await a.setExcluded('p2', 'a');
    await b.setExcluded('p2', 'b');
    const kept = await a.undo();
    assert.deepEqual(kept?.skipped, ['excluded']);
    assert.match(kept?.label ?? '', /kept the newer excluded from another window/);
    assert.deepEqual(filePairs(dir).p2, { excluded: { reason: 'b', at } });
    assert.equal(a.canUndo, false, "the undo was used up even though b's value was kept");

    await a.revert('p1');
    await b.setFlag('p1', 'after revert');
    await a.undo();
    assert.deepEqual(filePairs(dir).p1, { note: 'b', flag: { reason: 'after revert', at } });
  });

  it('reloads what changed on disk; never overwrites a file broken on disk, and refuses the change', async () => {
    const a = await OverlayStore.load(dir, options);
    await a.setFlag('p1', 'x');
    const other = await OverlayStore.load(dir, options);
    await other.setNote('p2', 'y');
    await other.setFlag('p1', undefined);
    assert.deepEqual(await a.reload(), ['p1', 'p2']);
    assert.equal(a.get('p1'), undefined);

    const conflicted = '<<<<<<< HEAD\n{"format": "medqa-overlay"}\n=======\n{}\n>>>>>>> theirs\n';
    writeFileSync(overlayPath(dir), conflicted);
    await assert.rejects(a.setNote('p3', 'z'), OverlayFormatError);
    await assert.rejects(a.reload(), /not valid JSON/);
    assert.equal(readFileSync(overlayPath(dir), 'utf8'), conflicted);
    assert.deepEqual(a.get('p2'), { note: 'y' }, 'the last good state stays in memory');
    assert.equal(a.undoLabel, 'Flag', 'the refused change is not on the undo stack');
  });

  it('takes over a stale lock left by a crashed process', async () => {
    mkdirSync(`${overlayPath(dir)}.lock`, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${overlayPath(dir)}.lock`, old, old);
    const store = await OverlayStore.load(dir, { ...options, lock: { staleMs: 2_000, waitMs: 5_000 } });
    const started = Date.now();
    await store.setFlag('p1', 'x');
    assert.ok(Date.now() - started < 2_000, 'no waiting for a dead holder');
    assert.deepEqual(readdirSync(path.join(dir, '.medqa')), ['overlay.json'], 'the lock is gone afterwards');
  });

  it('gives up on a lock that stays held with a clear message, changing nothing; the retry then works', async () => {
    const store = await OverlayStore.load(dir, { ...options, lock: { staleMs: 5_000, waitMs: 300 } });
    await store.setNote('p0', 'before');
    const lockDir = `${overlayPath(dir)}.lock`;
    mkdirSync(lockDir);
    const heldFile = readFileSync(overlayPath(dir), 'utf8');
    await assert.rejects(
      store.setFlag('p1', 'x'),
      (error: Error) =>
        error instanceof OverlayLockError &&
        /^Flag was not saved: overlay\.json is being written by another window or process/.test(
          error.message,
        ) &&
        error.message.includes(lockDir) &&
        /Nothing was changed; try again/.test(error.message),
    );
    assert.equal(store.get('p1'), undefined);
    assert.equal(store.undoLabel, 'Edit note');
    assert.equal(readFileSync(overlayPath(dir), 'utf8'), heldFile);
    await assert.rejects(store.undo(), OverlayLockError);
    assert.equal(store.undoLabel, 'Edit note', 'a failed undo stays on the stack');
    rmSync(lockDir, { recursive: true });
    await store.setFlag('p1', 'x');
    assert.deepEqual(filePairs(dir), { p0: { note: 'before' }, p1: { flag: { reason: 'x', at } } });
  });

  it('the session announces pairs changed by another window when it reloads the overlay', async () => {
    const session = new DatasetSession(dir);
    await session.overlay();
    const changes: SessionChange[] = [];
    session.onDidChange((change) => changes.push(change));
    await (await OverlayStore.load(dir, options)).setFlag('p9', 'elsewhere');
    await session.reloadOverlay();
    assert.deepEqual(changes, [{ kind: 'overlayExternal', ids: ['p9'] }]);
    assert.deepEqual(session.loadedOverlay?.get('p9'), { flag: { reason: 'elsewhere', at } });
    session.dispose();
  });

  it("two workspace stores keep both windows' sources", async () => {
    const a = await WorkspaceStore.load(dir);
    const b = await WorkspaceStore.load(dir);
    await a.addSource(path.join(dir, 'one'));
    await b.addSource(path.join(dir, 'two'));
    await a.setLastExport(path.join(dir, 'out'));
    const reloaded = await WorkspaceStore.load(dir);
    assert.deepEqual(reloaded.sources(), [path.join(dir, 'one'), path.join(dir, 'two')]);
    assert.equal(reloaded.lastExport?.path, path.join(dir, 'out'));
  });
});

function runWorker(dir: string, tag: 'a' | 'b', seed: number, count: number): Promise<number> {
  const worker = path.join(__dirname, 'overlayWorker.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, dir, tag, String(seed), String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve((JSON.parse(stdout) as { done: number }).done)
        : reject(new Error(`worker ${tag} exited ${code}: ${stderr}`)),
    );
  });
}

/** (pair, field) cells where the file differs from the expectation: each one is a lost or wrong operation. */
function differences(actual: Record<string, PairOverlay>, expected: Record<string, PairOverlay>): string[] {
  const ids = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  const out: string[] = [];
  for (const id of ids) {
    const fields = new Set([...Object.keys(actual[id] ?? {}), ...Object.keys(expected[id] ?? {})]);
    for (const field of fields) {
      const got = JSON.stringify((actual[id] as Record<string, unknown> | undefined)?.[field]);
      const want = JSON.stringify((expected[id] as Record<string, unknown> | undefined)?.[field]);
      if (got !== want) out.push(`${id}.${field}: file has ${got}, expected ${want}`);
    }
  }
  return out;
}

describe('overlay store: two processes × 500 random operations', function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => (dir = newDir()));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ends with the effect of every operation of both processes, nothing lost', async () => {
    const count = 500;
    const seed = Number(process.env.MEDQA_OVERLAY_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const plans = { a: planOperations('a', seed, count), b: planOperations('b', seed + 1, count) };
    const [doneA, doneB] = await Promise.all([
      runWorker(dir, 'a', seed, count),
      runWorker(dir, 'b', seed + 1, count),
    ]);
    assert.deepEqual([doneA, doneB], [count, count]);

    const aFirst = new Oracle();
    const bFirst = new Oracle();
    for (const op of plans.a) aFirst.apply('a', op);
    for (const op of plans.b) aFirst.apply('b', op);
    for (const op of plans.b) bFirst.apply('b', op);
    for (const op of plans.a) bFirst.apply('a', op);
    assert.deepEqual(aFirst.expected(), bFirst.expected(), 'the plan is order-independent by design');

    const lost = differences(filePairs(dir), aFirst.expected());
    assert.deepEqual(
      lost,
      [],
      `seed ${seed}: ${lost.length} cells differ (MEDQA_OVERLAY_SEED=${seed} repeats)`,
    );
    const shared = Object.keys(filePairs(dir)).filter((id) => id.startsWith('shared-'));
    assert.ok(shared.length > 0, 'the processes contended on shared pairs');
    assert.deepEqual(readdirSync(path.join(dir, '.medqa')), ['overlay.json'], 'no lock or temp file left');
  });
});

const opOn = (ids: readonly string[], kinds: readonly Op['kind'][]): fc.Arbitrary<Op> => {
  const id = fc.constantFrom(...ids);
  const all: Record<Op['kind'], fc.Arbitrary<Op>> = {
    flag: fc.record({ kind: fc.constant('flag'), id, reason: fc.constantFrom(undefined, 'x', 'y') }),
    exclude: fc.record({ kind: fc.constant('exclude'), id, reason: fc.constantFrom(undefined, '', 'z') }),
    note: fc.record({ kind: fc.constant('note'), id, note: fc.constantFrom(undefined, '', 'n1', 'n2') }),
    question: fc.record({ kind: fc.constant('question'), id, text: fc.constantFrom(null, 'q1', 'q2') }),
    answer: fc.record({ kind: fc.constant('answer'), id, text: fc.constantFrom(null, 'a1', 'a2') }),
    revert: fc.record({ kind: fc.constant('revert'), id }),
    undo: fc.constant<Op>({ kind: 'undo' }),
  };
  return fc.oneof(...kinds.map((kind) => all[kind]));
};
const ANY: Op['kind'][] = ['flag', 'exclude', 'note', 'question', 'answer', 'revert', 'undo'];

/** Takes the next operation from a or b as `picks` says, then the rest: one interleaving of the two sequences. */
function interleave(a: Op[], b: Op[], picks: boolean[]): ['a' | 'b', Op][] {
  const out: ['a' | 'b', Op][] = [];
  let i = 0;
  let j = 0;
  for (const pick of picks) {
    if (pick && i < a.length) out.push(['a', a[i++]]);
    else if (!pick && j < b.length) out.push(['b', b[j++]]);
  }
  return [
    ...out,
    ...a.slice(i).map((op) => ['a', op] as ['a', Op]),
    ...b.slice(j).map((op) => ['b', op] as ['b', Op]),
  ];
}

async function withStores<T>(run: (dir: string, a: OverlayStore, b: OverlayStore) => Promise<T>): Promise<T> {
  const dir = newDir();
  try {
    return await run(dir, await OverlayStore.load(dir, options), await OverlayStore.load(dir, options));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('overlay store: merge properties (fast-check)', function () {
  this.timeout(120_000);

  it("any interleaving of two stores' operations (same pairs and fields, undo too) equals applying them all in that order", async () => {
    const ops = fc.array(opOn(['p1', 'p2'], ANY), { maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(ops, ops, fc.array(fc.boolean(), { maxLength: 16 }), async (opsA, opsB, picks) =>
        withStores(async (dir, a, b) => {
          const oracle = new Oracle();
          for (const [writer, op] of interleave(opsA, opsB, picks)) {
            await runOp(writer === 'a' ? a : b, op);
            oracle.apply(writer, op);
          }
          const expected = oracle.expected();
          assert.deepEqual(await OverlayStore.load(dir).then((s) => Object.fromEntries(s.all())), expected);
          await a.reload();
          assert.deepEqual(Object.fromEntries(a.all()), expected);
        }),
      ),
      { numRuns: 25 },
    );
  });

  it('independent operations running at the same time give one result whatever their order', async () => {
    // 'a' owns a1 and the flag and question of s; 'b' owns b1 and the note, answer and exclusion of s.
    const opsA = fc.array(fc.oneof(opOn(['a1'], ANY), opOn(['s'], ['flag', 'question'])), { maxLength: 8 });
    const opsB = fc.array(fc.oneof(opOn(['b1'], ANY), opOn(['s'], ['note', 'answer', 'exclude'])), {
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(opsA, opsB, async (sequenceA, sequenceB) =>
        withStores(async (dir, a, b) => {
          // No await between the two: their lock attempts race, so the file sees some interleaving.
          await Promise.all([
            (async () => {
              for (const op of sequenceA) await runOp(a, op);
            })(),
            (async () => {
              for (const op of sequenceB) await runOp(b, op);
            })(),
          ]);
          const oracle = new Oracle();
          for (const op of sequenceA) oracle.apply('a', op);
          for (const op of sequenceB) oracle.apply('b', op);
          const file = (await OverlayStore.load(dir)).all();
          assert.deepEqual(Object.fromEntries(file), oracle.expected());
        }),
      ),
      { numRuns: 25 },
    );
  });
});
