// Webhooks (API.md "Webhooks"): a tenant's https endpoints for `xzepr.event.created` and
// `xzepr.group.completed`, with optional receiver and group filters. The signing secret is made
// here and shown once (at creation and at each rotation); after a rotation the previous secret
// signs too for WEBHOOK_SECRET_OVERLAP_HOURS. Where a webhook may point is
// src/lib/webhook-target.ts's rule. Deliveries come from the outbox (drizzle/0006's trigger) and
// are sent by src/domain/webhook-delivery.ts. Every change is audited with it.
import { and, eq, inArray, sql } from "drizzle-orm";
import { ulid } from "ulidx";
import type { Transaction } from "../db/client";
import { tenantPage } from "../db/pages";
import {
  eventReceivers,
  receiverGroups,
  type WebhookEventType,
  webhookDeliveries,
  webhooks,
} from "../db/schema";
import { ApiError } from "../lib/errors";
import { newWebhookSecret } from "../lib/webhook-signature";
import { webhookTargetProblem } from "../lib/webhook-target";
import { withAudit } from "./audit";
import type { ServiceContext } from "./context";

export { WEBHOOK_EVENT_TYPES } from "../db/schema";

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export function webhookView(row: WebhookRow) {
  return {
    id: row.id,
    url: row.url,
    event_types: row.eventTypes,
    receiver_ids: row.receiverIds,
    group_ids: row.groupIds,
    enabled: row.enabled,
    previous_secret_expires_at: row.previousSecret ? (row.previousSecretUntil?.toISOString() ?? null) : null,
    failing_since: row.failingSince?.toISOString() ?? null,
    disabled_reason: row.disabledReason,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    webhook_id: row.webhookId,
    message_id: row.messageId,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
    response_status: row.lastStatus,
    latency_ms: row.lastLatencyMs,
    last_error: row.lastError,
    created_at: row.createdAt.toISOString(),
    delivered_at: row.deliveredAt?.toISOString() ?? null,
  };
}

const notFound = () => new ApiError(404, "NOT_FOUND", "No such webhook.");

/** 400 naming the URL when the policy refuses where it points. */
function assertTarget(ctx: ServiceContext, url: string): void {
  const problem = webhookTargetProblem(url, {
    production: ctx.config.ENVIRONMENT === "production",
    allowHosts: ctx.config.WEBHOOK_ALLOWED_HOSTS,
  });
  if (problem) {
    throw new ApiError(400, "VALIDATION_FAILED", "The webhook URL is not allowed.", {
      details: [{ path: "url", message: `${problem}` }],
    });
  }
}

export interface WebhookFields {
  url: string;
  event_types: WebhookEventType[];
  receiver_ids: string[];
  group_ids: string[];
  enabled: boolean;
}

/** 400 naming every filter id that is not a receiver (or group) of the tenant; one statement. */
async function assertFilters(
  tx: Transaction,
  ctx: ServiceContext,
  input: Partial<WebhookFields>,
): Promise<void> {
  const receiverIds = input.receiver_ids ?? [];
  const groupIds = input.group_ids ?? [];
  if (receiverIds.length === 0 && groupIds.length === 0) return;
  const found = await tx
    .select({ id: eventReceivers.id })
    .from(eventReceivers)
    .where(and(eq(eventReceivers.tenantId, ctx.tenantId), inArray(eventReceivers.id, receiverIds)))
    .unionAll(
      tx
        .select({ id: receiverGroups.id })
        .from(receiverGroups)
        .where(and(eq(receiverGroups.tenantId, ctx.tenantId), inArray(receiverGroups.id, groupIds))),
    );
  const known = new Set(found.map((row) => row.id));
  const missing = (field: string, what: string, ids: string[]) =>
    ids.flatMap((id, index) =>
      known.has(id)
        ? []
        : [{ path: `${field}.${index}`, message: `No ${what} ${id} exists in this tenant.` }],
    );
  const details = [
    ...missing("receiver_ids", "event receiver", receiverIds),
    ...missing("group_ids", "receiver group", groupIds),
  ];
  if (details.length > 0) {
    throw new ApiError(400, "VALIDATION_FAILED", "Filters must name the tenant's receivers and groups.", {
      details,
    });
  }
}

const inTenant = (ctx: ServiceContext, id: string) =>
  and(eq(webhooks.tenantId, ctx.tenantId), eq(webhooks.id, id));

/** The new webhook and its secret (shown this once). */
export async function createWebhook(ctx: ServiceContext, input: WebhookFields) {
  assertTarget(ctx, input.url);
  const id = ulid();
  const secret = newWebhookSecret();
  const row = await withAudit(
    ctx,
    { action: "webhook.create", resourceType: "webhook", resourceId: id },
    async (tx) => {
      await assertFilters(tx, ctx, input);
      const [created] = await tx
        .insert(webhooks)
        .values({
          id,
          tenantId: ctx.tenantId,
          url: input.url,
          eventTypes: input.event_types,
          receiverIds: input.receiver_ids,
          groupIds: input.group_ids,
          enabled: input.enabled,
          secret,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        })
        .returning();
      return created as WebhookRow;
    },
  );
  return { row, secret };
}

export async function getWebhook(ctx: ServiceContext, id: string): Promise<WebhookRow> {
  const [row] = await ctx.db.select().from(webhooks).where(inTenant(ctx, id));
  if (!row) throw notFound();
  return row;
}

export function listWebhooks(ctx: ServiceContext, page: { limit: number; after?: string | undefined }) {
  return tenantPage(ctx.db, webhooks, ctx.tenantId, page);
}

/** Changes what is given; enabling again clears the failure record that disabled it. */
export function updateWebhook(ctx: ServiceContext, id: string, changes: Partial<WebhookFields>) {
  if (changes.url !== undefined) assertTarget(ctx, changes.url);
  return withAudit(ctx, { action: "webhook.update", resourceType: "webhook", resourceId: id }, async (tx) => {
    await assertFilters(tx, ctx, changes);
    const [row] = await tx
      .update(webhooks)
      .set({
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.event_types !== undefined ? { eventTypes: changes.event_types } : {}),
        ...(changes.receiver_ids !== undefined ? { receiverIds: changes.receiver_ids } : {}),
        ...(changes.group_ids !== undefined ? { groupIds: changes.group_ids } : {}),
        ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
        ...(changes.enabled ? { failingSince: null, disabledReason: null } : {}),
        updatedAt: ctx.now,
      })
      .where(inTenant(ctx, id))
      .returning();
    if (!row) throw notFound();
    return row;
  });
}

/** Its deliveries go with it (ON DELETE CASCADE). */
export async function deleteWebhook(ctx: ServiceContext, id: string): Promise<void> {
  await withAudit(ctx, { action: "webhook.delete", resourceType: "webhook", resourceId: id }, async (tx) => {
    const deleted = await tx.delete(webhooks).where(inTenant(ctx, id)).returning({ id: webhooks.id });
    if (deleted.length === 0) throw notFound();
  });
}

/** A new secret (shown once); the current one keeps signing for the overlap period. */
export async function rotateSecret(ctx: ServiceContext, id: string) {
  const secret = newWebhookSecret();
  const until = new Date(ctx.now.getTime() + ctx.config.WEBHOOK_SECRET_OVERLAP_HOURS * 3_600_000);
  const row = await withAudit(
    ctx,
    { action: "webhook.rotate_secret", resourceType: "webhook", resourceId: id },
    async (tx) => {
      const [rotated] = await tx
        .update(webhooks)
        .set({
          previousSecret: sql`${webhooks.secret}`,
          previousSecretUntil: until,
          secret,
          updatedAt: ctx.now,
        })
        .where(inTenant(ctx, id))
        .returning();
      if (!rotated) throw notFound();
      return rotated;
    },
  );
  return { row, secret };
}

/**
 * The webhook's deliveries, newest first; 404 when the webhook is not the tenant's. A page is one
 * round trip; only an empty one asks whether the webhook exists.
 */
export async function listDeliveries(
  ctx: ServiceContext,
  id: string,
  page: { limit: number; after?: string | undefined },
) {
  const rows = await tenantPage(ctx.db, webhookDeliveries, ctx.tenantId, page, [
    eq(webhookDeliveries.webhookId, id),
  ]);
  if (rows.length === 0) await getWebhook(ctx, id);
  return rows;
}

/** Queues a ping (a CloudEvent of type `xzepr.webhook.ping`), sent whatever the filters say. */
export async function queuePing(ctx: ServiceContext, id: string): Promise<DeliveryRow> {
  const pingId = ulid();
  const body = {
    specversion: "1.0",
    id: pingId,
    source: `xzepr/${ctx.tenantId}/webhooks/${id}`,
    type: "xzepr.webhook.ping",
    time: ctx.now.toISOString(),
    datacontenttype: "application/json",
    data: { webhook_id: id },
  };
  return withAudit(ctx, { action: "webhook.test", resourceType: "webhook", resourceId: id }, async (tx) => {
    const [webhook] = await tx.select({ id: webhooks.id }).from(webhooks).where(inTenant(ctx, id));
    if (!webhook) throw notFound();
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({ id: ulid(), tenantId: ctx.tenantId, webhookId: id, messageId: pingId, type: body.type, body })
      .returning();
    return row as DeliveryRow;
  });
}
