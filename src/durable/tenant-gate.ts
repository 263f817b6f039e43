// One per tenant. Holds what must be checked on every request without a database round trip:
// whether the tenant, the principal or the API key is still allowed, and revoked tokens.
// The database stays the record; this object is the authority for "refused at once".
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../contracts/bindings";
import type {
  AccessQuery,
  AccessVerdict,
  AdmitRequest,
  AdmitVerdict,
  LeaveOutcome,
  LimitState,
  PassRequest,
  PassVerdict,
  RateLimiterReport,
  RateRule,
  RedisTarget,
  RevocationKind,
  SubjectKind,
  SubjectStatus,
  TenantGateRpc,
} from "../contracts/gate";
import { openDatabase } from "../db/client";
import { tenantUsage } from "../db/schema";
import { loadConfig } from "../env";
import { RedisLimits, type RedisOutcome } from "../infra/rate-limiter";
import { RateWindows } from "./rate-windows";

const USAGE_FLUSH_MS = 60_000;

/** The quota period of an instant: its calendar month in UTC (epoch milliseconds). */
function quotaPeriod(now: number): { periodStart: number; periodEnd: number } {
  const date = new Date(now);
  return {
    periodStart: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
    periodEnd: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
  };
}

export class TenantGate extends DurableObject<Bindings> implements TenantGateRpc {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS subjects (
        kind TEXT NOT NULL, id TEXT NOT NULL, active INTEGER NOT NULL, expires_at INTEGER,
        PRIMARY KEY (kind, id));
      CREATE TABLE IF NOT EXISTS revocations (
        kind TEXT NOT NULL, id TEXT NOT NULL, expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id));
      CREATE TABLE IF NOT EXISTS rate_windows (
        key TEXT NOT NULL, window_start INTEGER NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (key, window_start));
      CREATE TABLE IF NOT EXISTS quota (
        period_start INTEGER PRIMARY KEY, used INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.windows = new RateWindows(this.sql);
  }

  /** The gate's own rate-limit windows (src/durable/rate-windows.ts). */
  private readonly windows: RateWindows;

  checkAccess(query: AccessQuery): AccessVerdict {
    const unknown: { kind: SubjectKind; id: string }[] = [];
    for (const subject of query.subjects) {
      const row = this.sql
        .exec<{ active: number; expires_at: number | null }>(
          "SELECT active, expires_at FROM subjects WHERE kind = ? AND id = ?",
          subject.kind,
          subject.id,
        )
        .toArray()[0];
      if (!row) unknown.push(subject);
      else if (!row.active) return { verdict: "deny", reason: `${subject.kind}_disabled` };
      else if (row.expires_at !== null && row.expires_at <= query.now) {
        return { verdict: "deny", reason: `${subject.kind}_expired` };
      }
    }
    for (const [kind, id] of [
      ["jti", query.jti],
      ["family", query.family],
    ] as const) {
      if (!id) continue;
      const revoked = this.sql
        .exec("SELECT 1 FROM revocations WHERE kind = ? AND id = ?", kind, id)
        .toArray();
      if (revoked.length > 0) return { verdict: "deny", reason: `${kind}_revoked` };
    }
    return unknown.length > 0 ? { verdict: "unknown", subjects: unknown } : { verdict: "allow" };
  }

  /**
   * Access and admission in one round trip: a subject that is refused or unknown is not counted;
   * one that may act is admitted (or refused for its limits) by `admit`.
   */
  async pass(request: PassRequest): Promise<PassVerdict> {
    if (request.learn) this.learnSubjects(request.learn);
    const access = this.checkAccess(request.access);
    if (access.verdict !== "allow" || !request.admit) return access;
    return this.admit(request.admit);
  }

  /**
   * Authoritative writes (an admin changed the subject): they replace what is known. Lazy loads
   * from the database use `learnSubjects`, which never overwrites, so a stale read cannot undo a
   * concurrent disable.
   */
  setSubjects(statuses: SubjectStatus[]): void {
    this.writeSubjects("REPLACE", statuses);
  }

  learnSubjects(statuses: SubjectStatus[]): void {
    this.writeSubjects("IGNORE", statuses);
  }

  private writeSubjects(conflict: "REPLACE" | "IGNORE", statuses: SubjectStatus[]): void {
    for (const status of statuses) {
      this.sql.exec(
        `INSERT OR ${conflict} INTO subjects (kind, id, active, expires_at) VALUES (?, ?, ?, ?)`,
        status.kind,
        status.id,
        status.active ? 1 : 0,
        status.expiresAt ?? null,
      );
    }
  }

  /** Revokes token ids or refresh families until `expiresAt` (epoch seconds), then forgets them. */
  async revoke(entries: { kind: RevocationKind; id: string; expiresAt: number }[]): Promise<void> {
    for (const entry of entries) {
      this.sql.exec(
        "INSERT OR REPLACE INTO revocations (kind, id, expires_at) VALUES (?, ?, ?)",
        entry.kind,
        entry.id,
        entry.expiresAt,
      );
    }
    await this.alarmWithin(3_600_000);
  }

  /** Sets the alarm no later than `ms` from now (an earlier one stays). */
  private async alarmWithin(ms: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > Date.now() + ms) await this.ctx.storage.setAlarm(Date.now() + ms);
  }

  /**
   * Admission for one request, in one round trip: the rate limit (in Redis when given a target and
   * Redis answers, else on this object's windows), the monthly event quota (for writes of events),
   * and the in-flight cap. Nothing is counted here when the request is refused (Redis, asked first,
   * has counted it); a request let in with `maxInFlight` must call `leave()` when it ends, which
   * also counts the events it created (refused or invalid ones use no quota).
   */
  async admit(request: AdmitRequest): Promise<AdmitVerdict> {
    const rule = request.rateLimit;
    const redis =
      rule && request.redis ? await this.redisFor(request.redis).limit(rule, request.now) : undefined;
    // No await from here on: this object's check and count of a window stay one step.
    const rated = rule && this.rated(rule, redis, request.now);
    if (rated && !rated.limit.success) return { verdict: "rate_limited", ...rated };
    const counted = rated ?? {};
    if (request.quota) {
      const quota = this.quotaState(request.now);
      if (quota.used + request.quota.cost > request.quota.limit) {
        return { verdict: "quota_exceeded", quota: { ...quota, limit: request.quota.limit }, ...counted };
      }
    }
    if (request.maxInFlight !== undefined && this.inFlight >= request.maxInFlight) {
      return { verdict: "overloaded", inFlight: this.inFlight, ...counted };
    }
    if (rule && rated?.rateLimiter.source === "gate") this.windows.count(rule, request.now);
    if (request.maxInFlight !== undefined) this.inFlight++;
    return { verdict: "admit", inFlight: this.inFlight, ...counted };
  }

  /** Redis's answer when it gave one, else this object's window (counted once the request is in). */
  private rated(
    rule: RateRule,
    redis: RedisOutcome | undefined,
    now: number,
  ): { limit: LimitState; rateLimiter: RateLimiterReport } {
    const switched = redis?.switched ? { switched: redis.switched } : {};
    return redis?.source === "redis"
      ? { limit: redis.state, rateLimiter: { source: "redis", ...switched } }
      : { limit: this.windows.state(rule, now), rateLimiter: { source: "gate", ...switched } };
  }

  /** One Redis client, batcher and breaker per target: the switch to the fallback is per tenant. */
  private readonly redisLimits = new Map<string, RedisLimits>();

  private redisFor(target: RedisTarget): RedisLimits {
    const id = JSON.stringify(target);
    let limits = this.redisLimits.get(id);
    if (!limits) {
      limits = new RedisLimits(target);
      this.redisLimits.set(id, limits);
    }
    return limits;
  }

  /**
   * The end of an admitted request; `events` it created count against the monthly quota, and
   * reach the database's `tenant_usage` within a minute (the alarm), off the request path.
   */
  async leave(outcome: LeaveOutcome): Promise<void> {
    this.inFlight = Math.max(0, this.inFlight - (outcome.released ?? 1));
    if (outcome.events === 0) return;
    this.countQuota(outcome.events, outcome.now);
    // A version, not a flag: a count that lands while a flush awaits the database stays unflushed.
    const version = Number(this.meta("usage_version") ?? "0") + 1;
    this.sql.exec(
      "INSERT OR REPLACE INTO meta (key, value) VALUES ('tenant_id', ?), ('usage_version', ?)",
      outcome.tenantId,
      String(version),
    );
    await this.alarmWithin(USAGE_FLUSH_MS);
  }

  /** GET /usage: the quota of the current month and what is in flight now. */
  usage(now: number): { used: number; periodEnd: number; inFlight: number } {
    const { used, periodEnd } = this.quotaState(now);
    return { used, periodEnd, inFlight: this.inFlight };
  }

  // Requests in flight live in memory: a restarted object has none in flight.
  private inFlight = 0;

  private quotaState(now: number): { used: number; periodEnd: number } {
    const { periodStart, periodEnd } = quotaPeriod(now);
    const used =
      this.sql
        .exec<{ used: number }>("SELECT used FROM quota WHERE period_start = ?", periodStart)
        .toArray()[0]?.used ?? 0;
    return { used, periodEnd };
  }

  private countQuota(cost: number, now: number): void {
    const { periodStart } = quotaPeriod(now);
    this.sql.exec(
      `INSERT INTO quota (period_start, used) VALUES (?, ?)
       ON CONFLICT (period_start) DO UPDATE SET used = used + excluded.used`,
      periodStart,
      cost,
    );
  }

  /** Readiness: a round trip that touches storage. */
  ping(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM subjects").one().n;
  }

  /** Housekeeping: forget expired revocations, report usage to the database. A throw retries. */
  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM revocations WHERE expires_at < ?", Math.floor(Date.now() / 1000));
    await this.flushUsage();
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM revocations").one().n;
    if (left > 0) await this.alarmWithin(3_600_000);
  }

  private meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  /** Writes the month's counts to `tenant_usage` (absolute values: a retry writes the same). */
  private async flushUsage(): Promise<void> {
    const tenantId = this.meta("tenant_id");
    const version = this.meta("usage_version") ?? "0";
    if (!tenantId || version === (this.meta("usage_flushed") ?? "0")) return;
    const periods = this.sql
      .exec<{ period_start: number; used: number }>("SELECT period_start, used FROM quota")
      .toArray();
    const { db } = openDatabase(loadConfig(this.env));
    for (const period of periods) {
      const row = {
        tenantId,
        periodStart: new Date(period.period_start),
        events: period.used,
        updatedAt: new Date(),
      };
      await db
        .insert(tenantUsage)
        .values(row)
        .onConflictDoUpdate({
          target: [tenantUsage.tenantId, tenantUsage.periodStart],
          set: { events: row.events, updatedAt: row.updatedAt },
        });
    }
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('usage_flushed', ?)", version);
    // Counted while the write was in flight: flush again.
    if (this.meta("usage_version") !== version) await this.alarmWithin(USAGE_FLUSH_MS);
    // Earlier months are reported; only the current one is still counted here.
    this.sql.exec("DELETE FROM quota WHERE period_start < ?", quotaPeriod(Date.now()).periodStart);
  }
}
