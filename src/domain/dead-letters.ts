// The dead-letter queue of a tenant: outbox messages that failed every attempt. Retrying puts a
// message back in the outbox as it was (same CloudEvent id: consumers deduplicate on it), at the
// end of its key's queue; discarding deletes it. Every action is audited with the change.
import { and, eq, sql } from "drizzle-orm";
import type { Transaction } from "../db/client";
import { tenantPage } from "../db/pages";
import { deadLetters } from "../db/schema";
import { ApiError } from "../lib/errors";
import { withAudit } from "./audit";
import type { ServiceContext } from "./context";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

export function deadLetterView(row: DeadLetterRow) {
  return {
    id: row.id,
    outbox_id: row.outboxId,
    topic: row.topic,
    key: row.key,
    attempts: row.attempts,
    last_error: row.lastError,
    first_failed_at: row.firstFailedAt.toISOString(),
    last_failed_at: row.lastFailedAt.toISOString(),
  };
}

const notFound = () => new ApiError(404, "NOT_FOUND", "No such dead letter.");

export function listDeadLetters(ctx: ServiceContext, page: { limit: number; after?: string | undefined }) {
  return tenantPage(ctx.db, deadLetters, ctx.tenantId, page);
}

/** Moves the tenant's dead letters (one, or all) back to the outbox; returns their keys. */
async function requeue(tx: Transaction, tenantId: string, id: string | undefined): Promise<string[]> {
  const onlyOne = id === undefined ? sql`` : sql`and id = ${id}`;
  const moved = await tx.execute<{ key: string }>(sql`
    with moved as (
      delete from dead_letters where tenant_id = ${tenantId} ${onlyOne}
      returning outbox_id, tenant_id, topic, key, value, headers, id
    )
    insert into outbox (id, tenant_id, topic, key, value, headers)
    select outbox_id, tenant_id, topic, key, value, headers from moved order by id
    returning key`);
  return moved.rows.map((row) => row.key);
}

/** Throws 404 inside the transaction, so a miss writes no audit entry. */
function found<T>(rows: T[]): T[] {
  if (rows.length === 0) throw notFound();
  return rows;
}

/** Returns the outbox key of the requeued message. */
export function retryDeadLetter(ctx: ServiceContext, id: string): Promise<string[]> {
  return withAudit(ctx, { action: "dlq.retry", resourceType: "dead_letter", resourceId: id }, async (tx) =>
    found(await requeue(tx, ctx.tenantId, id)),
  );
}

/** Returns the outbox keys of the requeued messages, one per message. */
export function retryAllDeadLetters(ctx: ServiceContext): Promise<string[]> {
  return withAudit(ctx, { action: "dlq.retry_all", resourceType: "dead_letter" }, (tx) =>
    requeue(tx, ctx.tenantId, undefined),
  );
}

export async function discardDeadLetter(ctx: ServiceContext, id: string): Promise<void> {
  await withAudit(ctx, { action: "dlq.discard", resourceType: "dead_letter", resourceId: id }, async (tx) =>
    found(
      await tx
        .delete(deadLetters)
        .where(and(eq(deadLetters.tenantId, ctx.tenantId), eq(deadLetters.id, id)))
        .returning({ id: deadLetters.id }),
    ),
  );
}
