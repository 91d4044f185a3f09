/**
 * Gathers items (changed file paths) and hands them over together once `delayMs` has passed since the first one,
 * so a burst of file events (a checkout, an atomic write's temp file and rename, a trainer logging) becomes one
 * batch. With `restart`, every item restarts the wait: the batch comes once the burst is over, however long.
 */
export class Batcher<T> {
  private readonly items = new Set<T>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly flush: (items: T[]) => void,
    private readonly restart = false,
  ) {}

  add(item: T): void {
    this.items.add(item);
    if (this.timer && !this.restart) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const items = [...this.items];
      this.items.clear();
      this.flush(items);
    }, this.delayMs);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.items.clear();
  }
}
