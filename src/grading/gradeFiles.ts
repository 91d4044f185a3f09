import { constants, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import {
  addGradeLine,
  emptyBook,
  GRADE_FORMAT,
  GRADE_VERSION,
  GRADES_DIR,
  graderFile,
  type GradeBook,
  type StoreRecord,
} from './gradeStore';
import { gradesDirProblem, isLinkError, NOFOLLOW, NONBLOCK, SYMLINK_FIX } from './gradesFolder';
import { pushAll } from '../util/arrays';
import { AppendRefusedError, appendJsonLine } from '../util/jsonlAppend';

/**
 * The grade files on disk (contract #5 in docs/protocol.md): appended to one line at a time, and read
 * incrementally. Grades are the user's work and `.medqa/grades/` is inside a workspace someone else may have
 * written, so nothing here follows a symbolic link: a linked grades folder (or `.medqa`) or grade file is refused
 * instead of being written through, or read from, wherever it points.
 */

/** Bytes read at a time: a 50 MB grade file is parsed a megabyte at a time, not as one 50 MB string. */
const CHUNK = 1 << 20;
/** Bytes kept from just before the read offset: when they differ, the file was rewritten, not appended to. */
const CHECK = 64;
/** Problems listed per file; beyond that only a count (a garbage file must not flood the log). */
const MAX_PROBLEMS_PER_FILE = 50;

/**
 * Appends one record as one line with a single write: O_APPEND makes concurrent writers (two windows, a
 * colleague's script) land whole lines one after another, and fsync makes an acknowledged grade survive a crash.
 * `root` is the folder the grades folder must lie in without links (the workspace; by default the grades
 * folder's parent).
 */
export async function appendRecord(
  gradesDir: string,
  record: StoreRecord,
  root = path.dirname(gradesDir),
): Promise<void> {
  const file = graderFile(gradesDir, record.grader);
  const problem = await gradesDirProblem(root, gradesDir, true);
  if (problem) throw new Error(`The grade was not saved: ${problem}.`);
  try {
    await appendJsonLine(
      file,
      { format: GRADE_FORMAT, version: GRADE_VERSION, ...record },
      { durable: true, regularFileOnly: true },
    );
  } catch (error) {
    if (!(error instanceof AppendRefusedError)) throw error;
    throw new Error(
      error.reason === 'symbolic-link'
        ? `The grade was not saved: ${file} is a symbolic link; ${SYMLINK_FIX}.`
        : `The grade was not saved: ${file} is not a regular file.`,
    );
  }
}

/** What is known of one grade file from the last read. */
interface FileState {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes read as whole lines (up to and including the last newline). */
  offset: number;
  /** Lines read as whole lines. */
  lines: number;
  /** The last bytes before `offset`. */
  check: Buffer;
  /** This file's records (the grader it is named after only). */
  book: GradeBook;
  problems: string[];
  /** Lines beyond the listed problems. */
  unlisted: number;
  /** Problems of the unterminated last line, found again on every read until it ends. */
  tailProblems: string[];
  /** Why the file is not read at all. */
  refused?: string;
}

const stripBom = (text: string) => text.replace(/^\uFEFF/, '');

function freshState(stats?: Stats): FileState {
  return {
    dev: stats?.dev ?? 0,
    ino: stats?.ino ?? 0,
    size: 0,
    mtimeMs: 0,
    offset: 0,
    lines: 0,
    check: Buffer.alloc(0),
    book: emptyBook(),
    problems: [],
    unlisted: 0,
    tailProblems: [],
  };
}

/**
 * The grade files of one folder, read incrementally: each file is read from where the last read stopped, so a
 * grade appended to a 50 MB file costs the bytes of that grade, and a read that finds nothing new reads nothing.
 * A file that shrank, was replaced (another inode) or changed where it was already read is read again whole.
 * Reads run one at a time.
 */
export class GradeFiles {
  /** Bytes read from grade files so far (tests and the bench check that an append reads only itself). */
  bytesRead = 0;
  private readonly files = new Map<string, FileState>();
  private dirProblem: string | undefined;
  private book: GradeBook = emptyBook();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly gradesDir: string,
    /** The folder `gradesDir` must lie in without links (the workspace). */
    readonly root = path.dirname(gradesDir),
  ) {}

  /** Reads what changed since the last refresh; `changed` tells whether the book is a new one. */
  refresh(): Promise<{ book: GradeBook; changed: boolean }> {
    const next = this.queue.then(() => this.readChanges());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readChanges(): Promise<{ book: GradeBook; changed: boolean }> {
    let changed = false;
    const dirProblem = await gradesDirProblem(this.root, this.gradesDir, false);
    if (dirProblem !== this.dirProblem) changed = true;
    this.dirProblem = dirProblem;
    let names: string[] = [];
    if (!dirProblem) {
      try {
        names = (await fs.readdir(this.gradesDir)).filter((n) => n.endsWith('.jsonl')).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    for (const name of [...this.files.keys()])
      if (!names.includes(name)) {
        this.files.delete(name);
        changed = true;
      }
    for (const name of names) if (await this.readFile(name)) changed = true;
    if (changed) this.book = this.compose();
    return { book: this.book, changed };
  }

  /** Brings one file's state up to date; returns whether anything in it changed. */
  private async readFile(name: string): Promise<boolean> {
    const file = path.join(this.gradesDir, name);
    const before = this.files.get(name);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
    } catch (error) {
      const refused = isLinkError(error)
        ? `${file}: is a symbolic link, not read; ${SYMLINK_FIX}`
        : `${file}: cannot be read (${(error as Error).message})`;
      return this.refuse(name, before, refused);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return this.refuse(name, before, `${file}: is not a regular file, not read`);
      const same = before && !before.refused && before.dev === stats.dev && before.ino === stats.ino;
      if (same && stats.size === before.size && stats.mtimeMs === before.mtimeMs) return false;
      // Appended to: same file, grown (an append never leaves the size or the bytes already read as they were).
      let state =
        same && stats.size > before.size && (await this.unchangedBefore(handle, before))
          ? before
          : freshState(stats);
      state = await this.readFrom(handle, file, state);
      state.size = stats.size;
      state.mtimeMs = stats.mtimeMs;
      this.files.set(name, state);
      return true;
    } finally {
      await handle.close();
    }
  }

  private refuse(name: string, before: FileState | undefined, refused: string): boolean {
    if (before?.refused === refused) return false;
    this.files.set(name, { ...freshState(), refused });
    return true;
  }

  /** Whether the bytes just before the read offset are still the ones read (else the file was rewritten). */
  private async unchangedBefore(handle: fs.FileHandle, state: FileState): Promise<boolean> {
    if (state.check.length === 0) return state.offset === 0;
    const bytes = Buffer.alloc(state.check.length);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, state.offset - bytes.length);
    this.bytesRead += bytesRead;
    return bytesRead === bytes.length && bytes.equals(state.check);
  }

  /** Reads whole lines from `state.offset` to the end, a chunk at a time; the unterminated rest is re-read later. */
  private async readFrom(handle: fs.FileHandle, file: string, state: FileState): Promise<FileState> {
    let pending = Buffer.alloc(0);
    let position = state.offset;
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      this.bytesRead += bytesRead;
      const chunk = Buffer.concat([pending, buffer.subarray(0, bytesRead)]);
      const end = chunk.lastIndexOf(0x0a);
      if (end < 0) {
        pending = chunk;
        continue;
      }
      const lines = chunk.subarray(0, end).toString('utf8').split('\n');
      for (const line of lines) this.addLine(state, file, line);
      state.offset += end + 1;
      state.check = Buffer.concat([
        state.check,
        chunk.subarray(Math.max(0, end + 1 - CHECK), end + 1),
      ]).subarray(-CHECK);
      pending = Buffer.from(chunk.subarray(end + 1));
    }
    state.tailProblems = [];
    if (pending.length > 0) {
      // The last line has no newline yet: a write in progress or cut off by a crash. Its record counts now (as a
      // whole read would count it), and it is read again with what follows it next time.
      const tail: string[] = [];
      const text = pending.toString('utf8');
      addGradeLine(state.book, tail, file, state.lines + 1, state.lines === 0 ? stripBom(text) : text, true);
      state.tailProblems = tail;
    }
    return state;
  }

  private addLine(state: FileState, file: string, line: string): void {
    const text = state.lines === 0 ? stripBom(line) : line;
    state.lines += 1;
    const problems: string[] = [];
    addGradeLine(state.book, problems, file, state.lines, text, false);
    for (const problem of problems) {
      if (state.problems.length < MAX_PROBLEMS_PER_FILE) state.problems.push(problem);
      else state.unlisted += 1;
    }
  }

  /**
   * The folder's book: each file holds one grader's records, so their maps are put side by side. The maps are the
   * files' own and later appends update them in place: a book is a view of the store as last read, not a snapshot.
   */
  private compose(): GradeBook {
    const book = emptyBook();
    if (this.dirProblem) book.problems.push(this.dirProblem);
    for (const [name, state] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (state.refused) {
        book.problems.push(state.refused);
        continue;
      }
      for (const grader of state.book.graders) if (!book.graders.includes(grader)) book.graders.push(grader);
      for (const [grader, map] of state.book.grades) book.grades.set(grader, map);
      for (const [grader, map] of state.book.latestBySlot) book.latestBySlot.set(grader, map);
      for (const [grader, map] of state.book.preferences) book.preferences.set(grader, map);
      pushAll(book.problems, state.problems);
      if (state.unlisted > 0)
        book.problems.push(
          `${path.join(this.gradesDir, name)}: ${state.unlisted} more line(s) could not be read and are skipped`,
        );
      pushAll(book.problems, state.tailProblems);
    }
    book.graders.sort();
    return book;
  }
}

/** Every grader's latest records in `gradesDir`, read once. */
export async function readGradeBook(gradesDir: string, root?: string): Promise<GradeBook> {
  return (await new GradeFiles(gradesDir, root).refresh()).book;
}

/**
 * The workspace's grade store: writes only in a trusted workspace (a grade is written where the workspace's
 * settings and folders say, and an untrusted folder may be laid out to misdirect it), reads incrementally.
 */
export class GradeStore {
  readonly gradesDir: string;
  readonly files: GradeFiles;

  constructor(
    readonly root: string,
    private readonly isTrusted: () => boolean,
  ) {
    this.gradesDir = path.join(root, GRADES_DIR);
    this.files = new GradeFiles(this.gradesDir, root);
  }

  async append(record: StoreRecord): Promise<void> {
    if (!this.isTrusted())
      throw new Error(
        'Grading is disabled in an untrusted workspace: grades are written into its .medqa/grades folder. ' +
          'Trust this folder (Manage Workspace Trust) to grade.',
      );
    await appendRecord(this.gradesDir, record, this.root);
  }

  refresh(): Promise<{ book: GradeBook; changed: boolean }> {
    return this.files.refresh();
  }
}
