import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { TRAINER_PROTOCOL_VERSION } from '../../../src/protocol/trainer/events';
import { appendEvent } from '../../../src/runs/eventLog';
import { writeFileAtomic } from '../../../src/util/atomicFile';
import { appendJsonLine } from '../../../src/util/jsonlAppend';

// The CommonJS module object, whose promises.open the code calls at run time (an ES import is read-only).
const fsModule = createRequire(__filename)('node:fs') as typeof import('node:fs');

/** Records, in order, renames and the fsyncs of files and folders (by path) while `body` runs. */
async function recordSyncs(body: () => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  const promises = fsModule.promises;
  const { open, rename } = promises;
  promises.open = (async (file: string, ...rest: unknown[]) => {
    const handle = (await (open as (...a: unknown[]) => Promise<FileHandle>)(file, ...rest)) as FileHandle;
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      calls.push(`fsync ${statSync(file).isDirectory() ? 'dir' : 'file'} ${path.basename(file)}`);
      return sync();
    };
    return handle;
  }) as typeof promises.open;
  promises.rename = (async (from: string, to: string) => {
    calls.push(`rename → ${path.basename(to)}`);
    return rename(from, to);
  }) as typeof promises.rename;
  try {
    await body();
  } finally {
    promises.open = open;
    promises.rename = rename;
  }
  return calls;
}

describe('durable writes (fsync of the file, and of its folder after a rename or a creation)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-durable-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writeFileAtomic fsyncs the temp file, renames it, then fsyncs the folder', async () => {
    const target = path.join(root, 'run.json');
    const calls = await recordSyncs(() => writeFileAtomic(target, '{}\n'));
    assert.equal(calls.length, 3);
    assert.match(calls[0], /^fsync file \.run\.json\..*\.tmp$/);
    assert.deepEqual(calls.slice(1), ['rename → run.json', `fsync dir ${path.basename(root)}`]);
    assert.equal(readFileSync(target, 'utf8'), '{}\n');
  });

  it("appendEvent (the extension's cancel line after a SIGKILL) fsyncs the line; a new file's folder too", async () => {
    const file = path.join(root, 'events.jsonl');
    writeFileSync(file, '{"v":1,"event":"step"');
    const event = {
      v: TRAINER_PROTOCOL_VERSION,
      event: 'run_cancelled',
      time: '2026-12-06T07:00:00Z',
      step: 15,
      checkpoint: null,
    } as const;
    assert.deepEqual(await recordSyncs(() => appendEvent(file, event)), ['fsync file events.jsonl']);
    assert.equal(readFileSync(file, 'utf8').split('\n')[1], JSON.stringify(event), 'on a line of its own');
    const fresh = path.join(root, 'fresh.jsonl');
    assert.deepEqual(await recordSyncs(() => appendEvent(fresh, event)), [
      'fsync file fresh.jsonl',
      `fsync dir ${path.basename(root)}`,
    ]);
  });

  it("appendJsonLine fsyncs the line only when durable, and a new file's folder too", async () => {
    const file = path.join(root, 'grades.jsonl');
    assert.deepEqual(await recordSyncs(() => appendJsonLine(file, { n: 1 })), [], 'not durable: no fsync');
    assert.deepEqual(await recordSyncs(() => appendJsonLine(file, { n: 2 }, { durable: true })), [
      'fsync file grades.jsonl',
    ]);
    const fresh = path.join(root, 'fresh.jsonl');
    assert.deepEqual(await recordSyncs(() => appendJsonLine(fresh, { n: 1 }, { durable: true })), [
      'fsync file fresh.jsonl',
      `fsync dir ${path.basename(root)}`,
    ]);
  });
});
