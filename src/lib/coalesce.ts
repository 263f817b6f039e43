// Work that many requests ask for and one call can do for all of them (a metrics flush, an outbox
// publish, releasing in-flight slots): at most one call is in flight per isolate; what is asked
// meanwhile waits and goes together in the next call. Under load an isolate then makes a call per
// round trip instead of one per request; alone, a request's items go at once.
//
// The request that finds no call under way makes the calls, in its own context (after its
// response, in waitUntil), also for what others add meanwhile: a Worker may not do I/O with
// another request's objects, nor wait on its promises, so the others only leave their items.

/** How long one request keeps sending for others before it leaves the rest to the next request. */
const DRAIN_BUDGET_MS = 20_000;

export class Coalescer<T> {
  private waiting: T[] = [];
  private running = false;

  /**
   * Leaves `items`; when no call is under way, sends them (and whatever arrives meanwhile) with
   * `send` until none is left or the budget is spent. Rejects when one of this caller's calls
   * failed (its batch is lost, as a single failed call would be).
   */
  async add(items: T[], send: (batch: T[]) => Promise<void>): Promise<void> {
    this.waiting.push(...items);
    if (this.running) return;
    this.running = true;
    const stopAt = Date.now() + DRAIN_BUDGET_MS;
    try {
      while (this.waiting.length > 0 && Date.now() < stopAt) {
        const batch = this.waiting;
        this.waiting = [];
        await send(batch);
      }
    } finally {
      this.running = false;
    }
  }
}

/** One Coalescer per key (a tenant, a destination), made on first use. */
export class Coalescers<T> {
  private readonly byKey = new Map<string, Coalescer<T>>();

  for(key: string): Coalescer<T> {
    let coalescer = this.byKey.get(key);
    if (!coalescer) {
      coalescer = new Coalescer<T>();
      this.byKey.set(key, coalescer);
    }
    return coalescer;
  }
}
