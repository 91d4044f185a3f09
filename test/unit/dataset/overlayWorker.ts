// A separate process curating one folder, for the two-writer test: `node overlayWorker.js <dir> <a|b> <seed> <count>`.
import { OverlayStore } from '../../../src/dataset/overlay';
import { fixedClock, planOperations, runOp } from './overlayOps';

async function main(): Promise<void> {
  const [dir, tag, seed, count] = process.argv.slice(2);
  if (tag !== 'a' && tag !== 'b') throw new Error(`writer must be a or b, not ${tag}`);
  // A long undo stack, so undo never meets the limit that the plan does not model.
  const store = await OverlayStore.load(dir, { now: fixedClock, undoLimit: 100_000 });
  const ops = planOperations(tag, Number(seed), Number(count));
  for (const op of ops) await runOp(store, op);
  process.stdout.write(JSON.stringify({ done: ops.length }) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
