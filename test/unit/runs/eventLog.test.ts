import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendEvent, EventLog, MAX_EVENT_LINE_BYTES, parseEventLine } from '../../../src/runs/eventLog';

const line = (event: Record<string, unknown>) =>
  JSON.stringify({ v: 1, time: '2025-01-01T00:00:00.000Z', ...event }) + '\n';
const step = (n: number) =>
  line({
    event: 'step',
    step: n,
    epoch: n / 10,
    loss: 2 - n / 10,
    learning_rate: 1e-4,
    grad_norm: 1,
    tokens_per_second: 500,
  });

describe('EventLog', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-events-'));
    file = path.join(dir, 'events.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns nothing for a missing file and picks it up once it appears', async () => {
    const log = new EventLog(file);
    assert.deepEqual((await log.read()).events, []);
    writeFileSync(file, step(1));
    assert.deepEqual(
      (await log.read()).events.map((e) => e.event),
      ['step'],
    );
  });

  it('reads only what was appended since the last read', async () => {
    const log = new EventLog(file);
    writeFileSync(file, step(1) + step(2));
    assert.deepEqual(
      (await log.read()).events.map((e) => (e as { step: number }).step),
      [1, 2],
    );
    assert.deepEqual((await log.read()).events, []);
    appendFileSync(file, step(3));
    assert.deepEqual(
      (await log.read()).events.map((e) => (e as { step: number }).step),
      [3],
    );
  });

  it('keeps a torn last line pending until its newline arrives', async () => {
    const log = new EventLog(file);
    const full = step(2);
    writeFileSync(file, step(1) + full.slice(0, 20));
    const first = await log.read();
    assert.equal(first.events.length, 1);
    assert.deepEqual(first.skipped, []);
    appendFileSync(file, full.slice(20));
    assert.deepEqual(
      (await log.read()).events.map((e) => (e as { step: number }).step),
      [2],
    );
  });

  it('skips the fragment of a killed writer when other lines follow it', async () => {
    const log = new EventLog(file);
    writeFileSync(file, step(1) + '{"v": 1, "event": "st');
    await log.read();
    await appendEvent(file, {
      v: 1,
      event: 'run_cancelled',
      time: '2025-01-01T00:00:01.000Z',
      step: 1,
      checkpoint: null,
    });
    const batch = await log.read();
    assert.deepEqual(
      batch.events.map((e) => e.event),
      ['run_cancelled'],
    );
    assert.deepEqual(
      batch.skipped,
      [{ line: 2, reason: 'unparsable' }],
      'the fragment, now ended by a newline, is skipped',
    );
    // appendEvent closed the torn line first, so the file now has three lines, the middle one unparsable.
    const fresh = await new EventLog(file).read();
    assert.deepEqual(
      fresh.events.map((e) => e.event),
      ['step', 'run_cancelled'],
    );
    assert.deepEqual(fresh.skipped, [{ line: 2, reason: 'unparsable' }]);
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 4);
  });

  it('skips unknown events, other protocol versions and events missing required fields', async () => {
    writeFileSync(
      file,
      line({ event: 'gpu_temperature', celsius: 80 }) +
        JSON.stringify({ v: 2, event: 'step', time: 'x' }) +
        '\n' +
        line({ event: 'eval', step: 3 }) +
        '[1,2]\n\n' +
        step(4),
    );
    const batch = await new EventLog(file).read();
    assert.deepEqual(
      batch.events.map((e) => e.event),
      ['step'],
    );
    assert.deepEqual(
      batch.skipped.map((s) => s.reason),
      ['unknown-event', 'other-version', 'missing-fields', 'not-an-object'],
    );
  });

  it('decodes a multi-byte character split across two reads', async () => {
    const log = new EventLog(file);
    const text = line({ event: 'notice', level: 'info', code: 'x', message: 'naïve µ' });
    const bytes = Buffer.from(text, 'utf8');
    const cut = bytes.indexOf(Buffer.from('ï', 'utf8')) + 1;
    writeFileSync(file, bytes.subarray(0, cut));
    assert.deepEqual((await log.read()).events, []);
    appendFileSync(file, bytes.subarray(cut));
    const [event] = (await log.read()).events;
    assert.equal((event as { message: string }).message, 'naïve µ');
  });

  it('starts over when the file is replaced by a shorter one', async () => {
    const log = new EventLog(file);
    writeFileSync(file, step(1) + step(2) + step(3));
    await log.read();
    rmSync(file);
    writeFileSync(file, step(7));
    const batch = await log.read();
    assert.equal(batch.reset, true);
    assert.deepEqual(
      batch.events.map((e) => (e as { step: number }).step),
      [7],
    );
  });

  it('skips a huge line without buffering it, and keeps every event after it', async () => {
    const huge = `{"v":1,"event":"notice","junk":"${'x'.repeat(3 * MAX_EVENT_LINE_BYTES)}"}\n`;
    writeFileSync(file, step(1) + huge + step(2));
    const log = new EventLog(file);
    const batch = await log.read();
    assert.deepEqual(
      batch.events.map((e) => (e as { step: number }).step),
      [1, 2],
    );
    assert.deepEqual(batch.skipped, [{ line: 2, reason: 'too-long' }]);
    // Written in pieces, as a runaway writer would: still one skipped line, later events kept.
    const other = new EventLog(path.join(dir, 'pieces.jsonl'));
    writeFileSync(other.file, step(1) + 'y'.repeat(MAX_EVENT_LINE_BYTES + 10));
    assert.equal((await other.read()).events.length, 1);
    appendFileSync(other.file, 'y'.repeat(MAX_EVENT_LINE_BYTES) + '\n' + step(3));
    const later = await other.read();
    assert.deepEqual(
      later.events.map((e) => (e as { step: number }).step),
      [3],
    );
    assert.deepEqual(later.skipped, []);
  });

  it('reads a byte order mark, CRLF line ends and invalid UTF-8 without losing later events', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"v":1,"event":"step","x":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}\n'),
    ]);
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('\uFEFF' + step(1).replace('\n', '\r\n')),
        bad,
        Buffer.from(step(2).replace('\n', '\r\n') + step(3)),
      ]),
    );
    const batch = await new EventLog(file).read();
    assert.deepEqual(
      batch.events.map((e) => (e as { step: number }).step),
      [1, 2, 3],
    );
    assert.deepEqual(batch.skipped, [{ line: 2, reason: 'missing-fields' }]);
  });

  it('parseEventLine reports why a line is unusable', () => {
    assert.equal(parseEventLine('{'), 'unparsable');
    assert.equal(parseEventLine('"text"'), 'not-an-object');
    assert.equal(parseEventLine(step(1).trim()).constructor, Object);
  });
});
