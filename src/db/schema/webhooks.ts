// Webhooks: a tenant's subscriptions, and the deliveries the outbox fans out to them (a trigger on
// outbox, drizzle/0006: in the transaction that wrote the message, without a round trip of its own).
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns";
import { tenants } from "./tenants";

/** What a webhook may subscribe to: the CloudEvent types of API.md's Kafka message. */
export const WEBHOOK_EVENT_TYPES = ["xzepr.event.created", "xzepr.group.completed"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** pending (due at next_attempt_at), delivered, or dead (in the dead-letter queue). */
export type DeliveryStatus = "pending" | "delivered" | "dead";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const webhooks = pgTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    url: text("url").notNull(),
    /** `xzepr.event.created` and/or `xzepr.group.completed`. */
    eventTypes: text("event_types").array().$type<WebhookEventType[]>().notNull(),
    /** Events only of these receivers (empty: all). */
    receiverIds: text("receiver_ids").array().notNull().default(sql`'{}'`),
    /** Completions only of these groups (empty: all). */
    groupIds: text("group_ids").array().notNull().default(sql`'{}'`),
    enabled: boolean("enabled").notNull().default(true),
    /** `whsec_…`: deliveries are signed with it (Standard Webhooks). */
    secret: text("secret").notNull(),
    /** The secret before the last rotation: it signs too until `previous_secret_until`. */
    previousSecret: text("previous_secret"),
    previousSecretUntil: at("previous_secret_until"),
    /** Since when every delivery has failed (null: the last one succeeded). */
    failingSince: at("failing_since"),
    disabledReason: text("disabled_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index("webhooks_tenant_idx").on(table.tenantId, table.id.desc())],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    /** The CloudEvent's id: `webhook-id`, the same on every attempt. */
    messageId: text("message_id").notNull(),
    type: text("type").notNull(),
    /** The CloudEvent of the Kafka message (the ping's own for a test). */
    body: jsonb("body").notNull(),
    /** pending, delivered or dead (in the dead-letter queue). */
    status: text("status").$type<DeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at").notNull().defaultNow(),
    leaseUntil: at("lease_until"),
    leaseOwner: text("lease_owner"),
    lastStatus: integer("last_status"),
    lastLatencyMs: integer("last_latency_ms"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: at("delivered_at"),
  },
  (table) => [
    uniqueIndex("webhook_deliveries_message_idx").on(table.webhookId, table.messageId),
    index("webhook_deliveries_due_idx").on(table.nextAttemptAt).where(sql`${table.status} = 'pending'`),
    index("webhook_deliveries_webhook_idx").on(table.tenantId, table.webhookId, table.id.desc()),
  ],
);
