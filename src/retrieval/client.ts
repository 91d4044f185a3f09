/**
 * The client of `python -m medqa_trainer retrieve --index DIR --serve`: one long-lived process that keeps an index
 * loaded and answers JSON lines (docs/protocol.md, "Retrieval index"). Requests carry our own ids; replies are
 * matched by id, checked with valibot, and time out one by one. The ranking is the trainer's: the extension never
 * ranks by itself. (No vscode import.)
 */
import * as v from 'valibot';
import { TrainerCommand, trainerArgs, type CommandExit } from '../trainer/process';
import {
  ErrorReplySchema,
  HitsReplySchema,
  ReadySchema,
  type RetrievalRequest,
  type RetrievalResult,
  type ServerReady,
} from './contract';

/** `python <these>`: the server's command line. */
export function serveArgs(indexDir: string): string[] {
  return trainerArgs('retrieve', ['--index', indexDir, '--serve']);
}

export class RetrievalError extends Error {}

export interface ClientOptions {
  python: string;
  /** Default: `serveArgs(indexDir)`; tests pass a fake server's. */
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Loading a 47k-pair index takes a few seconds; a server that says nothing for this long is given up. */
  startTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Lines the server prints that are not replies (its warnings), for the log. */
  onLog?: (line: string) => void;
}

interface Pending {
  resolve(result: RetrievalResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const DEFAULT_START_MS = 60_000;
const DEFAULT_REQUEST_MS = 10_000;
/** After stdin closes, how long the server gets to exit on its own before its group is signalled. */
const EXIT_GRACE_MS = 2_000;

export class RetrievalClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: Error | undefined;

  private constructor(
    private readonly command: TrainerCommand,
    readonly ready: ServerReady,
    private readonly options: ClientOptions,
  ) {}

  /** Starts the server and resolves once it printed its ready line (rejects with its own error message). */
  static async start(options: ClientOptions): Promise<RetrievalClient> {
    let announce: ((ready: ServerReady) => void) | undefined;
    const readyLine = new Promise<ServerReady>((resolve) => (announce = resolve));
    // Until the ready line, stdout is watched for it; then every line goes to the client.
    let route = (line: string) => {
      const ready = v.safeParse(ReadySchema, parseJson(line));
      if (ready.success) announce?.(ready.output);
      else options.onLog?.(line);
    };
    const command = await TrainerCommand.start({
      python: options.python,
      args: options.args,
      env: options.env,
      graceMs: EXIT_GRACE_MS,
      input: true,
      onOutput: (line, stream) => {
        if (stream === 'stderr') options.onLog?.(line);
        else route(line);
      },
    });
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_MS;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      readyLine,
      command.exited,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      await command.cancel();
      throw new RetrievalError(`The retrieval server did not get ready within ${timeoutMs / 1000} s.`);
    }
    if ('code' in outcome) throw new RetrievalError(`The retrieval server stopped: ${exitReason(outcome)}`);
    const client = new RetrievalClient(command, outcome, options);
    route = (line) => client.onLine(line);
    void command.exited.then((exit) => client.onExit(exit));
    return client;
  }

  get running(): boolean {
    return this.closedWith === undefined && this.command.running;
  }

  /** The top `k` pairs for `request.query`; rejects on the server's error reply, a timeout or its exit. */
  search(request: RetrievalRequest, timeoutMs = this.options.requestTimeoutMs): Promise<RetrievalResult> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    const wait = timeoutMs ?? DEFAULT_REQUEST_MS;
    return new Promise<RetrievalResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RetrievalError(`The retrieval server did not answer within ${wait / 1000} s.`));
      }, wait);
      this.pending.set(id, { resolve, reject, timer });
      const line = JSON.stringify({ id, ...withoutUndefined(request) }) + '\n';
      if (!this.command.write(line)) this.settle(id, new RetrievalError('The retrieval server has stopped.'));
    });
  }

  /** Closes stdin (the server exits at end of input), then ends its process group if it lingers. */
  async dispose(): Promise<void> {
    this.failAll(new RetrievalError('The retrieval server was closed.'));
    this.command.endInput();
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.command.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), EXIT_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (!exited) await this.command.cancel();
  }

  private onLine(line: string): void {
    const raw = parseJson(line);
    const id = (raw as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number' || !this.pending.has(id)) {
      // Not a reply to a request still waiting (a library's print, or an answer after its timeout).
      this.options.onLog?.(line);
      return;
    }
    if (typeof raw === 'object' && raw !== null && 'error' in raw) {
      const failure = v.safeParse(ErrorReplySchema, raw);
      return this.settle(id, new RetrievalError(failure.success ? failure.output.error : String(raw.error)));
    }
    const parsed = v.safeParse(HitsReplySchema, raw);
    if (!parsed.success) {
      // A reply that breaks the contract fails its request now instead of at its timeout.
      const issue = parsed.issues[0];
      const where = issue.path?.map((p) => String(p.key)).join('.');
      return this.settle(
        id,
        new RetrievalError(
          `The retrieval server's reply is not understood (${where ? `${where}: ` : ''}${issue.message}).`,
        ),
      );
    }
    const reply = parsed.output;
    this.settle(id, {
      hits: reply.hits,
      elapsedMs: reply.elapsed_ms,
      userContent: reply.user_content,
      sources: reply.sources,
    });
  }

  private settle(id: number, outcome: RetrievalResult | Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private onExit(exit: CommandExit): void {
    this.failAll(new RetrievalError(`The retrieval server stopped: ${exitReason(exit)}`));
  }

  private failAll(error: Error): void {
    this.closedWith ??= error;
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

function withoutUndefined(request: RetrievalRequest): Partial<RetrievalRequest> {
  return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined));
}

/** The server's own last error line, else how it ended. */
function exitReason(exit: CommandExit): string {
  const lines = exit.stderrTail.map((l) => l.trim()).filter(Boolean);
  const error = [...lines].reverse().find((l) => /^error:|Error\b/.test(l));
  if (error) return error.replace(/^error:\s*/, '');
  if (exit.signal) return `it was killed (${exit.signal})`;
  return `it exited with code ${exit.code}${lines.length ? ` (${lines[lines.length - 1]})` : ''}`;
}
