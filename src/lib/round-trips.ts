// The round trips a request made, by kind, counted as they start: the critical path's cost when
// the database and the Durable Objects are far away. Reported in the access log and, where
// enabled, in `Server-Timing` (`db;count=1;dur=4, gate;count=1;dur=1`).

export type RoundTripKind = "db" | "gate";

export class RoundTrips {
  private readonly counts: Record<RoundTripKind, { count: number; ms: number }> = {
    db: { count: 0, ms: 0 },
    gate: { count: 0, ms: 0 },
  };

  /** Counts one round trip now; call the result when its answer is in. */
  begin(kind: RoundTripKind): () => void {
    const started = Date.now();
    const entry = this.counts[kind];
    entry.count++;
    return () => {
      entry.ms += Date.now() - started;
    };
  }

  count(kind: RoundTripKind): number {
    return this.counts[kind].count;
  }

  /** The value of a `Server-Timing` header (W3C Server Timing: a metric per kind). */
  serverTiming(): string {
    return (Object.keys(this.counts) as RoundTripKind[])
      .map((kind) => `${kind};count=${this.counts[kind].count};dur=${this.counts[kind].ms}`)
      .join(", ");
  }
}
