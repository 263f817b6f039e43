// A circuit breaker for calls to a remote dependency, kept in memory by its owner: per isolate for
// the Kafka REST endpoint and the trace collector, per TenantGate for Redis.
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long it stays open before one call may try the dependency again (half-open). */
  openMs: number;
}

/** Circuit breaker: closed → open after `threshold` failures → half-open after `openMs`. */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(private readonly options: BreakerOptions) {}

  /** Whether a call may go to the dependency now. */
  allows(now: number): boolean {
    if (this.refuses(now)) return false;
    if (this.openedAt !== undefined) this.probing = true; // half-open: one trial call
    return true;
  }

  /** True while calls are refused: open and not yet due for a trial, or a trial under way. */
  refuses(now: number): boolean {
    return this.openedAt !== undefined && (this.probing || now - this.openedAt < this.options.openMs);
  }

  /** Ends a half-open trial that made no call (no result to report); the next caller may try. */
  endTrial(): void {
    this.probing = false;
  }

  /** Returns true when this success closed an open circuit. */
  succeeded(): boolean {
    const wasOpen = this.openedAt !== undefined;
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
    return wasOpen;
  }

  /** Returns true when this failure opened the circuit. */
  failed(now: number): boolean {
    this.failures++;
    const wasProbing = this.probing;
    this.probing = false;
    if (wasProbing || (this.openedAt === undefined && this.failures >= this.options.threshold)) {
      this.openedAt = now;
      return true;
    }
    return false;
  }

  get state(): "closed" | "open" | "half_open" {
    if (this.openedAt === undefined) return "closed";
    return this.probing ? "half_open" : "open";
  }
}
