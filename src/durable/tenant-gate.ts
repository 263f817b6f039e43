// One per tenant. Holds what must be checked on every request without a database round trip:
// whether the tenant, the principal or the API key is still allowed, and revoked tokens.
// The database stays the record; this object is the authority for "refused at once".
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../context";

export type SubjectKind = "tenant" | "principal" | "api_key";
export type RevocationKind = "jti" | "family";

export interface SubjectStatus {
  kind: SubjectKind;
  id: string;
  active: boolean;
  /** Epoch seconds after which the subject is refused (API key expiry). */
  expiresAt?: number | null;
}

export interface AccessQuery {
  /** Subjects whose status must be active: always the tenant, plus the principal or API key. */
  subjects: { kind: SubjectKind; id: string }[];
  jti?: string;
  family?: string;
  /** Epoch seconds, the caller's clock. */
  now: number;
}

export type AccessVerdict =
  | { verdict: "allow" }
  | { verdict: "deny"; reason: string }
  | { verdict: "unknown"; subjects: { kind: SubjectKind; id: string }[] };

export class TenantGate extends DurableObject<Bindings> {
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
    `);
  }

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
   * Authoritative writes (an admin changed the subject): they replace what is known. Lazy loads
   * from the database use `learnSubjects`, which never overwrites, so a stale read cannot undo a
   * concurrent disable.
   */
  setSubjects(statuses: SubjectStatus[]): void {
    for (const status of statuses) {
      this.sql.exec(
        "INSERT OR REPLACE INTO subjects (kind, id, active, expires_at) VALUES (?, ?, ?, ?)",
        status.kind,
        status.id,
        status.active ? 1 : 0,
        status.expiresAt ?? null,
      );
    }
  }

  learnSubjects(statuses: SubjectStatus[]): void {
    for (const status of statuses) {
      this.sql.exec(
        "INSERT OR IGNORE INTO subjects (kind, id, active, expires_at) VALUES (?, ?, ?, ?)",
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
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 3_600_000);
  }

  /** Readiness: a round trip that touches storage. */
  ping(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM subjects").one().n;
  }

  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM revocations WHERE expires_at < ?", Math.floor(Date.now() / 1000));
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM revocations").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + 3_600_000);
  }
}
