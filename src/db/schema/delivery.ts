// The transactional outbox and its dead-letter queue.
import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

export const outbox = pgTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    /** Insertion order: per-key publishing order. */
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    tenantId: text("tenant_id").notNull(),
    topic: text("topic").notNull(),
    key: text("key").notNull(),
    /** The CloudEvent (API.md "Kafka message"). */
    value: jsonb("value").notNull(),
    headers: jsonb("headers").notNull(),
    /** Failed publish attempts so far. */
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** A publisher holds the row until then; an expired lease frees it for the next one. */
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    leaseOwner: text("lease_owner"),
    lastError: text("last_error"),
    firstFailedAt: timestamp("first_failed_at", { withTimezone: true, mode: "date" }),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }),
    partition: integer("partition"),
    offset: bigint("offset", { mode: "number" }),
    createdAt: createdAt(),
  },
  (table) => [
    index("outbox_pending_idx").on(table.key, table.seq).where(sql`${table.publishedAt} is null`),
    index("outbox_published_idx").on(table.publishedAt).where(sql`${table.publishedAt} is not null`),
  ],
);

/** Outbox rows that failed every attempt: kept with their last error until retried or discarded. */

export const deadLetters = pgTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    outboxId: text("outbox_id").notNull(),
    topic: text("topic").notNull(),
    key: text("key").notNull(),
    value: jsonb("value").notNull(),
    headers: jsonb("headers").notNull(),
    attempts: integer("attempts").notNull(),
    lastError: text("last_error").notNull(),
    firstFailedAt: timestamp("first_failed_at", { withTimezone: true, mode: "date" }).notNull(),
    lastFailedAt: timestamp("last_failed_at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("dead_letters_tenant_idx").on(table.tenantId, table.id.desc())],
);

/**
 * Who did what to which resource, with what outcome. Append-only: a trigger refuses UPDATE and
 * DELETE (drizzle/0004), and no route writes anything but inserts.
 */
