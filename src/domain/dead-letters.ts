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

/** What a retry moved back: the outbox keys to publish, and whether webhook deliveries are due. */
export interface Requeued {
  keys: string[];
  webhooks: number;
}

/**
 * Moves the tenant's dead letters (one, or all) back: a Kafka message into the outbox, a webhook
 * delivery (topic `webhook:<id>`, its row kept) back to pending, its attempts counted afresh.
 */
async function requeue(tx: Transaction, tenantId: string, id: string | undefined): Promise<Requeued> {
  const onlyOne = id === undefined ? sql`` : sql`and id = ${id}`;
  const moved = await tx.execute<{ keys: string[] | null; webhooks: string; moved: string }>(sql`
    with moved as (
      delete from dead_letters where tenant_id = ${tenantId} ${onlyOne}
      returning outbox_id, tenant_id, topic, key, value, headers, id
    ),
    messages as (
      insert into outbox (id, tenant_id, topic, key, value, headers)
      select outbox_id, tenant_id, topic, key, value, headers from moved where topic not like 'webhook:%' order by id
      returning key
    ),
    deliveries as (
      update webhook_deliveries d
         set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null
        from moved
       where moved.topic like 'webhook:%' and d.id = moved.outbox_id and d.tenant_id = moved.tenant_id
      returning d.id
    )
    select (select array_agg(key) from messages) as keys, (select count(*) from deliveries) as webhooks,
           (select count(*) from moved) as moved`);
  const row = moved.rows[0];
  if (id !== undefined && Number(row?.moved ?? 0) === 0) throw notFound();
  return { keys: row?.keys ?? [], webhooks: Number(row?.webhooks ?? 0) };
}

/** Throws 404 inside the transaction (so a miss writes no audit entry). */
export function retryDeadLetter(ctx: ServiceContext, id: string): Promise<Requeued> {
  return withAudit(ctx, { action: "dlq.retry", resourceType: "dead_letter", resourceId: id }, (tx) =>
    requeue(tx, ctx.tenantId, id),
  );
}

/** Everything in the tenant's queue. */
export function retryAllDeadLetters(ctx: ServiceContext): Promise<Requeued> {
  return withAudit(ctx, { action: "dlq.retry_all", resourceType: "dead_letter" }, (tx) =>
    requeue(tx, ctx.tenantId, undefined),
  );
}

export async function discardDeadLetter(ctx: ServiceContext, id: string): Promise<void> {
  await withAudit(ctx, { action: "dlq.discard", resourceType: "dead_letter", resourceId: id }, async (tx) => {
    const deleted = await tx
      .delete(deadLetters)
      .where(and(eq(deadLetters.tenantId, ctx.tenantId), eq(deadLetters.id, id)))
      .returning({ id: deadLetters.id });
    if (deleted.length === 0) throw notFound();
  });
}
