import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fsyncDirectory } from './atomicFile';

/**
 * The one JSON-lines appender (events, grades, Playground predictions). A record is written as one line in a
 * single write on a file opened with O_APPEND, so concurrent writers (two windows, a colleague's script) land
 * whole lines one after another.
 */
export interface JsonlAppendOptions {
  /**
   * fsync the line before returning, and the folder when this append created the file: for records that must
   * survive a crash (a grade the user saw saved, the cancel line written after a SIGKILL).
   */
  durable?: boolean;
  /**
   * A last line left without its newline (a writer killed mid-line) first gets its newline, so the new record
   * stays a line of its own. Off for files whose reader splits glued records apart itself (grades).
   */
  closeTornLine?: boolean;
  /**
   * Refuse a symbolic link, a folder, a FIFO or anything else that is not a regular file instead of writing
   * through it (a FIFO is opened non-blocking, so it fails or is refused rather than hanging the caller).
   */
  regularFileOnly?: boolean;
}

/** Why an append with `regularFileOnly` refused the file; callers turn it into their own message. */
export class AppendRefusedError extends Error {
  constructor(
    readonly file: string,
    readonly reason: 'symbolic-link' | 'not-a-regular-file',
  ) {
    super(`${file} is ${reason === 'symbolic-link' ? 'a symbolic link' : 'not a regular file'}`);
    this.name = 'AppendRefusedError';
  }
}

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows, where there are no FIFOs to block on.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? '';

async function openForAppend(
  file: string,
  options: JsonlAppendOptions,
): Promise<{ handle: fs.FileHandle; created: boolean }> {
  const access = options.closeTornLine ? constants.O_RDWR : constants.O_WRONLY;
  const flags = access | constants.O_APPEND | (options.regularFileOnly ? NOFOLLOW | NONBLOCK : 0);
  try {
    try {
      return { handle: await fs.open(file, flags), created: false };
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      // Created here (or by another writer in the meantime: then the folder's fsync is merely redundant).
      return { handle: await fs.open(file, flags | constants.O_CREAT, 0o644), created: true };
    }
  } catch (error) {
    if (!options.regularFileOnly) throw error;
    if (['ELOOP', 'EMLINK'].includes(errorCode(error))) throw new AppendRefusedError(file, 'symbolic-link');
    // A folder, or a FIFO with no reader.
    if (['EISDIR', 'ENXIO'].includes(errorCode(error)))
      throw new AppendRefusedError(file, 'not-a-regular-file');
    throw error;
  }
}

/** '\n' when the file's last byte is not a newline (a torn line), else ''. */
async function tornLinePrefix(handle: fs.FileHandle, size: number): Promise<string> {
  if (size === 0) return '';
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 0x0a ? '' : '\n';
}

/**
 * Appends `line` (one line of text, without its newline) to `file`, which is created when missing (its folder is
 * not). Throws when `line` holds a line break: it would become two records.
 */
export async function appendLine(
  file: string,
  line: string,
  options: JsonlAppendOptions = {},
): Promise<void> {
  if (/[\n\r]/.test(line)) throw new Error(`${file}: a JSON-lines record must be one line`);
  const { handle, created } = await openForAppend(file, options);
  try {
    const stats = await handle.stat();
    if (options.regularFileOnly && !stats.isFile()) throw new AppendRefusedError(file, 'not-a-regular-file');
    const prefix = options.closeTornLine ? await tornLinePrefix(handle, stats.size) : '';
    const bytes = Buffer.from(prefix + line + '\n', 'utf8');
    const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
    if (bytesWritten !== bytes.length)
      throw new Error(`${file}: short write (${bytesWritten} of ${bytes.length} bytes)`);
    if (options.durable) await handle.sync();
  } finally {
    await handle.close();
  }
  if (created && options.durable) await fsyncDirectory(path.dirname(file));
}

/** Appends `value` as one JSON line (JSON.stringify escapes every line break inside strings). */
export async function appendJsonLine(
  file: string,
  value: unknown,
  options: JsonlAppendOptions = {},
): Promise<void> {
  const line = JSON.stringify(value) as string | undefined;
  if (line === undefined) throw new Error(`${file}: ${String(value)} is not a JSON value`);
  await appendLine(file, line, options);
}
