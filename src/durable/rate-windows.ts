// A TenantGate's own rate-limit windows. They are counted in memory (the gate is the only one
// counting for its tenant) and saved to SQLite within WINDOW_SAVE_MS, in one commit for every
// request of that moment: a storage commit per request cost more than the rest of admission. A
// restarted object goes on from the saved counts; a crash loses at most the last WINDOW_SAVE_MS
// of counting.
import type { LimitState, RateRule } from "../contracts/gate";

/** Rate-limit counts reach storage within this; a crash loses at most this much counting. */
const WINDOW_SAVE_MS = 500;

export class RateWindows {
  constructor(private readonly sql: SqlStorage) {}

  /** `<window start> <key>` → requests counted in that window. */
  private readonly counts = new Map<string, number>();
  /** Keys whose saved counts were read since this object started. */
  private loaded = new Set<string>();
  private readonly unsaved = new Set<string>();
  private saving: ReturnType<typeof setTimeout> | undefined;

  private windowCount(key: string, windowStart: number): number {
    if (!this.loaded.has(key)) {
      for (const row of this.sql.exec<{ window_start: number; count: number }>(
        "SELECT window_start, count FROM rate_windows WHERE key = ?",
        key,
      )) {
        this.counts.set(`${row.window_start} ${key}`, row.count);
      }
      this.loaded.add(key);
    }
    return this.counts.get(`${windowStart} ${key}`) ?? 0;
  }

  private save(): void {
    clearTimeout(this.saving);
    this.saving = undefined;
    for (const id of this.unsaved) {
      const space = id.indexOf(" ");
      this.sql.exec(
        "INSERT OR REPLACE INTO rate_windows (key, window_start, count) VALUES (?, ?, ?)",
        id.slice(space + 1),
        Number(id.slice(0, space)),
        this.counts.get(id) ?? 0,
      );
    }
    this.unsaved.clear();
  }

  /**
   * Sliding window as @upstash/ratelimit computes it: this window's count plus the previous
   * window's, weighted by how much of it still overlaps the last `windowMs`.
   */
  state(rule: RateRule, now: number): LimitState {
    const current = Math.floor(now / rule.windowMs) * rule.windowMs;
    const currentCount = this.windowCount(rule.key, current);
    const previousCount = this.windowCount(rule.key, current - rule.windowMs);
    const previousWeight = 1 - (now - current) / rule.windowMs;
    const used = currentCount + Math.floor(previousCount * previousWeight);
    const success = used + rule.cost <= rule.limit;
    return {
      success,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used - (success ? rule.cost : 0)),
      reset: current + rule.windowMs,
    };
  }

  // The window whose predecessors were last pruned; pruning once per window is enough.
  private prunedBefore = 0;

  /** Counts an admitted request in its window; saved within WINDOW_SAVE_MS. */
  count(rule: RateRule, now: number): void {
    const current = Math.floor(now / rule.windowMs) * rule.windowMs;
    if (this.prunedBefore !== current) {
      // Windows older than the previous one no longer count: forget them here and in storage.
      this.save();
      const oldest = current - rule.windowMs;
      for (const id of this.counts.keys()) {
        if (Number(id.slice(0, id.indexOf(" "))) < oldest) this.counts.delete(id);
      }
      this.sql.exec("DELETE FROM rate_windows WHERE window_start < ?", oldest);
      this.loaded = new Set([...this.counts.keys()].map((id) => id.slice(id.indexOf(" ") + 1)));
      this.prunedBefore = current;
    }
    const id = `${current} ${rule.key}`;
    this.counts.set(id, (this.counts.get(id) ?? 0) + rule.cost);
    this.unsaved.add(id);
    this.saving ??= setTimeout(() => this.save(), WINDOW_SAVE_MS);
  }
}
