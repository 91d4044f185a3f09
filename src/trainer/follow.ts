import { promises as fs, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

// Following a trainer's output: its pipes, its log file and the files it writes (events) as they grow.

/** Calls `onLine` with a line's last state (progress bars redraw with `\r`), unless it is blank. */
function emitLine(raw: string, onLine: (line: string) => void): void {
  const line = raw.slice(raw.lastIndexOf('\r', raw.length - 2) + 1).replace(/\r$/, '');
  if (line.trim()) onLine(line);
}

/** Calls `onLine` per complete line; a line redrawn with `\r` (progress bars) keeps only its last state. */
export function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  const emit = (raw: string) => emitLine(raw, onLine);
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    lines.forEach(emit);
  });
  stream.on('end', () => {
    if (buffer) emit(buffer);
    buffer = '';
  });
}

/** Reads a growing text file from `start`, line by line, on file events; `stop()` reads what is left. */
export function followFile(file: string, start: number, onLine: (line: string) => void): { stop(): Promise<void> } {
  let offset = start;
  let pending = '';
  const decoder = new StringDecoder('utf8');
  let reading = Promise.resolve();
  const emit = (raw: string) => emitLine(raw, onLine);
  const read = () => {
    reading = reading
      .then(async () => {
        const handle = await fs.open(file, 'r');
        try {
          const buffer = Buffer.alloc(64 * 1024);
          for (;;) {
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            const lines = (pending + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
            pending = lines.pop() ?? '';
            lines.forEach(emit);
          }
        } finally {
          await handle.close();
        }
      })
      .catch(() => undefined);
  };
  const unwatch = watchFile(file, read);
  return {
    async stop() {
      unwatch();
      read();
      await reading;
      if (pending) emit(pending);
      pending = '';
    },
  };
}

/**
 * Calls `onChange` when `file` is created or written (inotify/FSEvents through fs.watch on its folder, so a file
 * that does not exist yet is seen when it appears). No polling. Returns a function that stops watching.
 */
export function watchFile(file: string, onChange: () => void): () => void {
  const name = path.basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), (_event, changed) => {
      if (changed === null || changed === name) onChange();
    });
    watcher.on('error', () => undefined);
  } catch {
    // The folder does not exist (yet): the caller's final read still sees the outcome.
  }
  return () => watcher?.close();
}
