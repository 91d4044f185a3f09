/**
 * One `retrieve --serve` process at a time, started on first use and reused: searching keeps the index loaded
 * instead of paying Python's start and the index load per query. A different index, a rebuilt or deleted one, or
 * the extension's deactivation disposes it. A failed start is remembered until `reset`, so a missing package is
 * reported once, not once per keystroke. (No vscode import.)
 */
import type { RetrievalClient } from './client';

export class ServerSlot {
  private current: { indexDir: string; client: Promise<RetrievalClient> } | undefined;

  constructor(private readonly start: (indexDir: string) => Promise<RetrievalClient>) {}

  /** The server for `indexDir`: the running one, or a new one (the old one, for another index, is disposed). */
  client(indexDir: string): Promise<RetrievalClient> {
    const current = this.current;
    if (current?.indexDir === indexDir) {
      return current.client.then((client) => {
        if (client.running) return client;
        // It died (killed, crashed): start a fresh one on the next request, once.
        if (this.current === current) this.current = undefined;
        return this.client(indexDir);
      });
    }
    // The old server goes first: two loaded indexes (hundreds of MB each for all of MedQuAD) never run at once.
    const started = this.reset().then(() => this.start(indexDir));
    this.current = { indexDir, client: started };
    return started;
  }

  /** The index this slot serves now (started or starting). */
  get indexDir(): string | undefined {
    return this.current?.indexDir;
  }

  /** Disposes the server (if any); the next `client` call starts a new one. */
  async reset(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    const client = await current.client.catch(() => undefined);
    await client?.dispose();
  }
}
