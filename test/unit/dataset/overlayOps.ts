/**
 * Overlay operations as data, for the concurrency tests: run them on a real OverlayStore, or on an oracle that says
 * what the file must hold afterwards. The oracle is written apart from src/dataset/overlayMerge.ts on purpose (a
 * plain map of field values; undo restores a field only while it still holds what the undone operation wrote), so
 * the tests do not check the merge code against itself.
 */
import type { PairOverlay } from '../../../src/dataset/model';
import type { OverlayStore } from '../../../src/dataset/overlay';
import { mulberry32 } from '../../../src/dataset/random';

export const FIXED_NOW = new Date('2026-01-01T00:00:00.000Z');
export const fixedClock = (): Date => FIXED_NOW;

export type Op =
  | { kind: 'flag' | 'exclude'; id: string; reason: string | undefined }
  | { kind: 'note'; id: string; note: string | undefined }
  | { kind: 'question' | 'answer'; id: string; text: string | null }
  | { kind: 'revert'; id: string }
  | { kind: 'undo' };

export async function runOp(store: OverlayStore, op: Op): Promise<void> {
  switch (op.kind) {
    case 'flag':
      await store.setFlag(op.id, op.reason);
      return;
    case 'exclude':
      await store.setExcluded(op.id, op.reason);
      return;
    case 'note':
      await store.setNote(op.id, op.note);
      return;
    case 'question':
      await store.update(op.id, { question: op.text }, 'Edit question');
      return;
    case 'answer':
      await store.update(op.id, { answer: op.text }, 'Edit answer');
      return;
    case 'revert':
      await store.revert(op.id);
      return;
    case 'undo':
      await store.undo();
      return;
  }
}

type Field = keyof PairOverlay;
const FIELDS: Field[] = ['question', 'answer', 'flag', 'excluded', 'note'];
type Values = Partial<Record<Field, unknown>>;

/** What one operation wrote: enough for its undo. */
interface Done {
  id: string;
  before: Values;
  after: Values;
}

/** The expected overlay: each writer's operations applied in the order they reached the file. */
export class Oracle {
  private readonly pairs = new Map<string, Values>();
  private readonly stacks = new Map<string, Done[]>();

  /** Applies `op` as done by `writer` (undo takes that writer's latest operation). */
  apply(writer: string, op: Op): void {
    const stack = this.stacks.get(writer) ?? [];
    this.stacks.set(writer, stack);
    if (op.kind === 'undo') {
      const done = stack.pop();
      if (!done) return;
      const values = this.pairs.get(done.id) ?? {};
      for (const field of Object.keys(done.after) as Field[]) {
        if (same(values[field], done.after[field])) values[field] = done.before[field];
      }
      this.pairs.set(done.id, values);
      return;
    }
    const written = this.written(op);
    const values = this.pairs.get(op.id) ?? {};
    const before: Values = {};
    for (const field of Object.keys(written) as Field[]) before[field] = values[field];
    Object.assign(values, written);
    this.pairs.set(op.id, values);
    stack.push({ id: op.id, before, after: written });
  }

  /** The `pairs` object the overlay file must hold. */
  expected(): Record<string, PairOverlay> {
    const out: Record<string, PairOverlay> = {};
    for (const [id, values] of this.pairs) {
      const entry: Record<string, unknown> = {};
      for (const field of FIELDS) if (values[field] !== undefined) entry[field] = values[field];
      if (Object.keys(entry).length) out[id] = entry as PairOverlay;
    }
    return out;
  }

  private written(op: Exclude<Op, { kind: 'undo' }>): Values {
    const stamp = (reason: string | undefined) =>
      reason === undefined ? undefined : { reason, at: FIXED_NOW.toISOString() };
    switch (op.kind) {
      case 'flag':
        return { flag: stamp(op.reason) };
      case 'exclude':
        return { excluded: stamp(op.reason) };
      case 'note':
        return { note: op.note || undefined };
      case 'question':
        return { question: op.text ?? undefined };
      case 'answer':
        return { answer: op.text ?? undefined };
      case 'revert':
        return Object.fromEntries(FIELDS.map((field) => [field, undefined]));
    }
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The project's seeded generator, so a worker process and the test derive the same plan from a seed. */
export const random = mulberry32;

export const SHARED_PAIRS = 10;
export const OWN_PAIRS = 40;

/**
 * `count` random operations for writer `tag` ('a' or 'b'). Most touch the writer's own pairs (`<tag>-<n>`): any
 * kind, undo included, so their final state depends on every one of them in order. About one in six touches a
 * shared pair (`shared-<n>`), designed to give the same result in any interleaving: 'a' only sets flags there, 'b'
 * only sets notes, both set the same exclusion, and neither undoes them (undo is planned only while the writer's
 * latest change is on its own pair).
 */
export function planOperations(tag: 'a' | 'b', seed: number, count: number): Op[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const ops: Op[] = [];
  const stack: ('own' | 'shared')[] = [];
  while (ops.length < count) {
    const roll = next();
    if (roll < 1 / 6) {
      const id = `shared-${Math.floor(next() * SHARED_PAIRS)}`;
      const op: Op =
        next() < 0.5
          ? { kind: 'exclude', id, reason: 'shared' }
          : tag === 'a'
            ? { kind: 'flag', id, reason: 'shared' }
            : { kind: 'note', id, note: 'shared' };
      ops.push(op);
      stack.push('shared');
      continue;
    }
    if (roll < 0.3) {
      if (stack[stack.length - 1] !== 'own') continue;
      ops.push({ kind: 'undo' });
      stack.pop();
      continue;
    }
    const id = `${tag}-${Math.floor(next() * OWN_PAIRS)}`;
    const text = pick([null, `${tag} text ${ops.length}`, '# Answer\nwith "quotes" and ünïcödé']);
    const reason = pick([undefined, `${tag} reason ${ops.length}`, '']);
    const op: Op = pick<Op>([
      { kind: 'flag', id, reason },
      { kind: 'exclude', id, reason },
      { kind: 'note', id, note: reason },
      { kind: 'question', id, text },
      { kind: 'answer', id, text },
      { kind: 'revert', id },
    ]);
    ops.push(op);
    stack.push('own');
  }
  return ops;
}
