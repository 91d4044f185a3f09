import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Root, type Type } from 'protobufjs/light';
import { CHECKPOINT_DIR, type HfTrainerState } from './hfTrainerState';
import type { RunProgress } from './runState';
import { pushAll } from '../util/arrays';

/**
 * TensorBoard event files (`events.out.tfevents.*`), as the Hugging Face Trainer's TensorBoard callback writes
 * them: the curves of a run folder that has no trainer_state.json. A file is a sequence of TFRecords (an 8-byte
 * little-endian length, a 4-byte CRC, the bytes, a 4-byte CRC), each an `Event` protocol buffer that protobufjs
 * decodes from the message definitions below (the fields we read of tensorflow/core/util/event.proto and
 * summary.proto). Scalars come as `simple_value` (PyTorch's SummaryWriter) or as a one-element float tensor
 * (TensorFlow 2); the Trainer's arguments come as a text summary, tag `args/text_summary`.
 */
export const TENSORBOARD_FILE = /^events\.out\.tfevents\./;
const MAX_DEPTH = 3;

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_STRING = 7;

const EVENT: Type = Root.fromJSON({
  nested: {
    Event: {
      fields: {
        wall_time: { type: 'double', id: 1 },
        step: { type: 'int64', id: 2 },
        summary: { type: 'Summary', id: 5 },
      },
    },
    Summary: { fields: { value: { rule: 'repeated', type: 'Value', id: 1 } } },
    Value: {
      fields: {
        tag: { type: 'string', id: 1 },
        simple_value: { type: 'float', id: 2 },
        tensor: { type: 'TensorProto', id: 8 },
      },
    },
    TensorProto: {
      fields: {
        dtype: { type: 'int32', id: 1 },
        tensor_content: { type: 'bytes', id: 4 },
        float_val: { rule: 'repeated', type: 'float', id: 5 },
        double_val: { rule: 'repeated', type: 'double', id: 6 },
        string_val: { rule: 'repeated', type: 'bytes', id: 8 },
      },
    },
  },
}).lookupType('Event');

interface TensorMessage {
  dtype?: number;
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  string_val?: Uint8Array[];
}
interface EventMessage {
  wall_time?: number;
  step?: number;
  summary?: { value?: { tag?: string; simple_value?: number; tensor?: TensorMessage }[] };
}

export interface ScalarPoint {
  step: number;
  value: number;
  /** Seconds since the epoch. */
  wallTime: number;
}

export interface TensorBoardLog {
  /** Points by tag, by step (a later file's point for a step replaces an earlier one: a resumed run). */
  scalars: Map<string, ScalarPoint[]>;
  /** Text summaries by tag (their last value). */
  texts: Map<string, string>;
}

/** Event files under `dir` (at most three folders deep, checkpoints and hidden folders skipped), in name order. */
export function tensorboardEventFiles(dir: string, depth = 0): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && TENSORBOARD_FILE.test(entry.name)) found.push(full);
    else if (
      entry.isDirectory() &&
      depth < MAX_DEPTH &&
      !entry.name.startsWith('.') &&
      !CHECKPOINT_DIR.test(entry.name)
    )
      pushAll(found, tensorboardEventFiles(full, depth + 1));
  }
  // The file name carries its creation time: name order within a folder is write order.
  return found.sort();
}

/** The records of one file; a torn last record (a file being written) ends it. */
export function* tfRecords(bytes: Uint8Array): Generator<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 12 <= bytes.length) {
    const length = Number(view.getBigUint64(offset, true));
    const start = offset + 12;
    if (start + length + 4 > bytes.length) return;
    yield bytes.subarray(start, start + length);
    offset = start + length + 4;
  }
}

function tensorValue(tensor: TensorMessage): number | string | undefined {
  const content = tensor.tensor_content;
  const view = content && new DataView(content.buffer, content.byteOffset, content.byteLength);
  if (tensor.dtype === DT_FLOAT)
    return tensor.float_val?.[0] ?? (view && view.byteLength >= 4 ? view.getFloat32(0, true) : undefined);
  if (tensor.dtype === DT_DOUBLE)
    return tensor.double_val?.[0] ?? (view && view.byteLength >= 8 ? view.getFloat64(0, true) : undefined);
  if (tensor.dtype === DT_STRING && tensor.string_val?.[0])
    return Buffer.from(tensor.string_val[0]).toString('utf8');
  return undefined;
}

/** Folds the events of one file's bytes into `log`; throws on a record that is not an Event. */
export function readEventFile(bytes: Uint8Array, log: TensorBoardLog): void {
  for (const record of tfRecords(bytes)) {
    const event = EVENT.toObject(EVENT.decode(record), { longs: Number }) as EventMessage;
    for (const value of event.summary?.value ?? []) {
      if (!value.tag) continue;
      const read = value.simple_value ?? (value.tensor ? tensorValue(value.tensor) : undefined);
      if (typeof read === 'string') log.texts.set(value.tag, read);
      else if (read !== undefined) {
        const points = log.scalars.get(value.tag) ?? [];
        const step = event.step ?? 0;
        const at = points.findIndex((p) => p.step === step);
        const point = { step, value: read, wallTime: event.wall_time ?? 0 };
        if (at >= 0) points[at] = point;
        else points.push(point);
        log.scalars.set(value.tag, points);
      }
    }
  }
}

export function emptyTensorBoardLog(): TensorBoardLog {
  return { scalars: new Map(), texts: new Map() };
}

/** The Trainer's end-of-training summary, logged as `train/<key>` at the last step. */
const SUMMARY_KEYS = new Set([
  'train_runtime',
  'train_samples_per_second',
  'train_steps_per_second',
  'total_flos',
  'train_loss',
]);

/** The Trainer's arguments from the `args` text summary (TrainingArguments as JSON); {} when absent. */
function trainingArgs(log: TensorBoardLog): Record<string, unknown> {
  const text = log.texts.get('args/text_summary') ?? log.texts.get('args');
  try {
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

const positive = (value: unknown): number | null => (typeof value === 'number' && value > 0 ? value : null);

/**
 * The trainer state the TensorBoard callback's logs stand for: its `rewrite_logs` named each `log_history` key
 * `train/<key>` or `eval/<key without eval_>`, so the entries are rebuilt from the tags, step by step.
 */
export function trainerStateFromTensorBoard(log: TensorBoardLog): HfTrainerState {
  const entries = new Map<string, Record<string, unknown>>();
  const entry = (kind: 'train' | 'eval' | 'summary', step: number) => {
    const key = `${step}:${kind}`;
    if (!entries.has(key)) entries.set(key, { step });
    return entries.get(key)!;
  };
  let globalStep = 0;
  for (const [tag, points] of log.scalars) {
    const [prefix, ...rest] = tag.split('/');
    const name = rest.join('/');
    if (!name || (prefix !== 'train' && prefix !== 'eval')) continue;
    for (const point of points) {
      globalStep = Math.max(globalStep, point.step);
      if (prefix === 'eval') entry('eval', point.step)[`eval_${name}`] = point.value;
      else entry(SUMMARY_KEYS.has(name) ? 'summary' : 'train', point.step)[name] = point.value;
    }
  }
  const order = { train: 0, eval: 1, summary: 2 } as const;
  const logHistory = [...entries.entries()]
    .map(([key, value]) => ({ key: key.split(':') as [string, keyof typeof order], value }))
    .sort((a, b) => Number(a.key[0]) - Number(b.key[0]) || order[a.key[1]] - order[b.key[1]])
    .map(({ value }) => value);
  const args = trainingArgs(log);
  return {
    globalStep,
    maxSteps: positive(args.max_steps),
    epoch: null,
    numTrainEpochs: positive(args.num_train_epochs),
    bestModelCheckpoint: null,
    bestGlobalStep: null,
    trainBatchSize: positive(args.per_device_train_batch_size),
    loggingSteps: positive(args.logging_steps),
    evalSteps: positive(args.eval_steps),
    saveSteps: positive(args.save_steps),
    logHistory,
  };
}

/** The logs' wall-clock times on the curves (trainer_state.json has none): point times, start and last write. */
export function applyWallTimes(progress: RunProgress, log: TensorBoardLog, finished: boolean): void {
  const timeOf = (tag: string) =>
    new Map((log.scalars.get(tag) ?? []).map((p) => [p.step, p.wallTime * 1000]));
  const trainTimes = timeOf('train/loss');
  const evalTimes = timeOf('eval/loss');
  for (const point of progress.steps) point.time = trainTimes.get(point.step) ?? point.time;
  for (const point of progress.evals) point.time = evalTimes.get(point.step) ?? point.time;
  let first = Infinity;
  let last = 0;
  for (const points of log.scalars.values())
    for (const point of points) {
      first = Math.min(first, point.wallTime * 1000);
      last = Math.max(last, point.wallTime * 1000);
    }
  if (last === 0) return;
  progress.startedAt = first;
  progress.lastEventAt = last;
  if (finished) progress.endedAt = last;
}
