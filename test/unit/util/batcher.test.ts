import * as assert from 'node:assert/strict';
import { Batcher } from '../../../src/util/batcher';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Adds `count` items, one every `gapMs`, then waits until nothing can be pending. */
async function trickle(
  batch: Batcher<number>,
  count: number,
  gapMs: number,
  settleMs: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    batch.add(i);
    await sleep(gapMs);
  }
  await sleep(settleMs);
}

describe('Batcher (the debounce of the file watchers)', () => {
  it('hands a burst over once, each item once', async () => {
    const batches: string[][] = [];
    const batch = new Batcher<string>(100, (items) => batches.push(items));
    batch.add('a');
    batch.add('b');
    batch.add('a');
    assert.deepEqual(batches, []);
    await sleep(300);
    assert.deepEqual(batches, [['a', 'b']]);
  });

  it('without restart, a steady trickle still comes through while it lasts (the window opens at the first item)', async () => {
    const batches: number[][] = [];
    const batch = new Batcher<number>(100, (items) => batches.push(items));
    await trickle(batch, 20, 30, 300);
    assert.ok(batches.length >= 2, `a trickle of 600 ms came as ${batches.length} batch(es)`);
    assert.deepEqual(batches.flat(), [...Array(20).keys()]);
  });

  it('with restart, a steady trickle comes as one batch once it is over', async () => {
    const batches: number[][] = [];
    const batch = new Batcher<number>(400, (items) => batches.push(items), true);
    await trickle(batch, 10, 20, 800);
    assert.deepEqual(batches, [[...Array(10).keys()]]);
  });

  it('drops what is pending when disposed', async () => {
    const batches: string[][] = [];
    const batch = new Batcher<string>(20, (items) => batches.push(items));
    batch.add('a');
    batch.dispose();
    await sleep(60);
    assert.deepEqual(batches, []);
  });
});
