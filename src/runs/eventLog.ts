import { promises as fs } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import * as v from 'valibot';
import {
  isTrainerEventName,
  TRAINER_EVENT_SCHEMAS,
  TRAINER_PROTOCOL_VERSION,
  type TrainerEvent,
} from '../protocol/trainer/events';
import { appendJsonLine } from '../util/jsonlAppend';

/** Why a line was not turned into an event; readers count these instead of failing. */
export type SkipReason =
  | 'unparsable'
  | 'not-an-object'
  | 'other-version'
  | 'unknown-event'
  | 'missing-fields'
  | 'invalid-fields'
  | 'too-long';

/** No event is near this long; a longer line (a runaway print, a corrupt file) is skipped, not buffered. */
export const MAX_EVENT_LINE_BYTES = 1024 * 1024;
/** Read in pieces: a huge file is never loaded in one buffer. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

/** Parses one line of events.jsonl; returns the reason when the line is not a usable event of this protocol. */
export function parseEventLine(line: string): TrainerEvent | SkipReason {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'unparsable';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not-an-object';
  const record = value as Record<string, unknown>;
  if (record.v !== TRAINER_PROTOCOL_VERSION) return 'other-version';
  if (!isTrainerEventName(record.event)) return 'unknown-event';
  const result = v.safeParse(TRAINER_EVENT_SCHEMAS[record.event], record);
  if (result.success) return result.output as TrainerEvent;
  // A field that is there but of the wrong type makes the event as unusable as a missing one.
  return result.issues.some((issue) => issue.input === undefined) ? 'missing-fields' : 'invalid-fields';
}

export interface EventBatch {
  events: TrainerEvent[];
  skipped: { line: number; reason: SkipReason }[];
  /** True when the file shrank or was replaced: the caller must forget what it derived from earlier reads. */
  reset: boolean;
}

/**
 * Reads `events.jsonl` incrementally: each `read()` returns only the complete lines appended since the last one.
 * A last line without its newline (a writer caught mid-line, or killed) stays pending until the newline arrives;
 * if a killed writer's fragment is followed by other lines, the joined line does not parse and is skipped.
 */
export class EventLog {
  private offset = 0;
  private pending = '';
  private lineNumber = 0;
  /** Inside an over-long line: its remaining text is dropped up to the next newline. */
  private discarding = false;
  private decoder = new StringDecoder('utf8');
  private identity: string | undefined;

  constructor(readonly file: string) {}

  /** Bytes consumed so far (complete lines plus the pending fragment). */
  get position(): number {
    return this.offset;
  }

  async read(): Promise<EventBatch> {
    const batch: EventBatch = { events: [], skipped: [], reset: false };
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (this.offset > 0) this.restart(batch);
      return batch;
    }
    try {
      const stat = await handle.stat();
      const identity = `${stat.dev}:${stat.ino}`;
      if ((this.identity !== undefined && identity !== this.identity) || stat.size < this.offset)
        this.restart(batch);
      this.identity = identity;
      const buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, Math.max(0, stat.size - this.offset)));
      // Only what was appended since the last read: O(new bytes), however long the run.
      while (this.offset < stat.size) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.consume(this.decoder.write(buffer.subarray(0, bytesRead)), batch);
      }
    } finally {
      await handle.close();
    }
    return batch;
  }

  private restart(batch: EventBatch): void {
    this.offset = 0;
    this.pending = '';
    this.lineNumber = 0;
    this.discarding = false;
    this.decoder = new StringDecoder('utf8');
    this.identity = undefined;
    batch.reset = true;
    batch.events.length = 0;
    batch.skipped.length = 0;
  }

  private consume(text: string, batch: EventBatch): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const raw of lines) {
      this.lineNumber += 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (raw.length > MAX_EVENT_LINE_BYTES) {
        batch.skipped.push({ line: this.lineNumber, reason: 'too-long' });
        continue;
      }
      // trim() also drops a byte order mark and the \r of CRLF line ends.
      const line = raw.trim();
      if (!line) continue;
      const parsed = parseEventLine(line);
      if (typeof parsed === 'string') batch.skipped.push({ line: this.lineNumber, reason: parsed });
      else batch.events.push(parsed);
    }
    if (this.pending.length > MAX_EVENT_LINE_BYTES) {
      // Report the over-long line once, when it starts being dropped; its end is dropped when it arrives.
      if (!this.discarding) batch.skipped.push({ line: this.lineNumber + 1, reason: 'too-long' });
      this.discarding = true;
      this.pending = '';
    }
  }
}

/** Every complete event in a file, read in one go (for one-off readers such as the launcher's bookkeeping). */
export async function readAllEvents(file: string): Promise<TrainerEvent[]> {
  return (await new EventLog(file).read()).events;
}

/**
 * Appends one event on behalf of a trainer that can no longer write it (killed, or crashed before it could).
 * A torn last line gets its newline first so the new event stays a line of its own. The line is fsynced, as the
 * trainer fsyncs its own: it is often the run's last word (a cancel that had to SIGKILL), written just before a
 * window closes or a machine goes down.
 */
export async function appendEvent(file: string, event: TrainerEvent): Promise<void> {
  await appendJsonLine(file, event, { durable: true, closeTornLine: true });
}
