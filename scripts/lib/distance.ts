// Simulated distance to the database (XZEPR_DB_RTT_MS): the local support servers hold each round
// trip this long, so a local run shows what every sequential round trip costs when deployed.

/** Throws a RangeError naming `what` unless `ms` is a finite, non-negative number. */
export function checkRttMs(ms: number, what = "rttMs"): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)
    throw new RangeError(`${what} must be a non-negative number of milliseconds, got ${String(ms)}`);
  return ms;
}

/**
 * Resolves at or after `deadline` (a performance.now() value). Timers may fire a fraction of a
 * millisecond early; a simulated round trip must never be shorter than asked.
 */
export async function waitUntil(deadline: number): Promise<void> {
  for (let left = deadline - performance.now(); left > 0; left = deadline - performance.now())
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
}
