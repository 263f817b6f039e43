// The audit log: who did what to which resource, with what outcome. Entries of a change are
// written in the change's own transaction (`withAudit`): if the entry cannot be written, the
// change fails too. Nothing here updates or deletes an entry (and a trigger refuses it).
import { gte, lte } from "drizzle-orm";
import { ulid } from "ulidx";
import type { RequestMeta } from "../contracts/request";
import type { Database, Transaction } from "../db/client";
import { eqIfGiven } from "../db/filters";
import { tenantPage } from "../db/pages";
import { auditLogs } from "../db/schema";
import type { Principal } from "./auth";
import type { ServiceContext } from "./context";

export type AuditRow = typeof auditLogs.$inferSelect;
export type Outcome = AuditRow["outcome"];

export interface AuditEntry {
  /** `<resource>.<verb>`: `receiver.create`, `api_key.revoke`, `auth.token_issued`, `dlq.retry`, … */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  outcome?: Outcome;
}

/** Who acted, on which tenant, from which request. */
export interface AuditActor {
  tenantId: string;
  principal: Pick<Principal, "id" | "type"> | "system";
  request: RequestMeta;
}

export function auditRow(actor: AuditActor, entry: AuditEntry): typeof auditLogs.$inferInsert {
  const system = actor.principal === "system";
  return {
    id: ulid(),
    tenantId: actor.tenantId,
    actorType: system ? "system" : (actor.principal as Principal).type,
    actorId: system ? "system" : (actor.principal as Principal).id,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    outcome: entry.outcome ?? "success",
    requestId: actor.request.id,
    ip: actor.request.ip ?? null,
    userAgent: actor.request.userAgent?.slice(0, 256) ?? null,
  };
}

/** Writes one entry with no change attached (a denial, a token issued). */
export async function writeAudit(
  db: Database | Transaction,
  actor: AuditActor,
  entry: AuditEntry,
): Promise<void> {
  await db.insert(auditLogs).values(auditRow(actor, entry));
}

/**
 * Runs `change` in a transaction with its audit entry: both are stored or neither. `entry` may
 * depend on the change's result (the id of what it created).
 */
export function withAudit<T>(
  ctx: ServiceContext,
  entry: AuditEntry | ((result: T) => AuditEntry),
  change: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return ctx.transaction(async (tx) => {
    const result = await change(tx);
    await writeAudit(tx, ctx, typeof entry === "function" ? entry(result) : entry);
    return result;
  });
}

export function auditView(row: AuditRow) {
  return {
    id: row.id,
    actor: { type: row.actorType, id: row.actorId },
    action: row.action,
    resource_type: row.resourceType,
    resource_id: row.resourceId,
    outcome: row.outcome,
    request_id: row.requestId,
    ip: row.ip,
    user_agent: row.userAgent,
    created_at: row.createdAt.toISOString(),
  };
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  resource_type?: string | undefined;
  resource_id?: string | undefined;
  outcome?: Outcome | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

export function listAudit(
  ctx: ServiceContext,
  filter: AuditFilter,
  page: { limit: number; after?: string | undefined },
) {
  return tenantPage(ctx.db, auditLogs, ctx.tenantId, page, [
    eqIfGiven(auditLogs.actorId, filter.actor),
    eqIfGiven(auditLogs.action, filter.action),
    eqIfGiven(auditLogs.resourceType, filter.resource_type),
    eqIfGiven(auditLogs.resourceId, filter.resource_id),
    eqIfGiven(auditLogs.outcome, filter.outcome),
    filter.since ? gte(auditLogs.createdAt, filter.since) : undefined,
    filter.until ? lte(auditLogs.createdAt, filter.until) : undefined,
  ]);
}
