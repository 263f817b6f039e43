// Drizzle schema. Every table holding tenant data carries tenant_id; indexes lead with it.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const tenants = pgTable(
  "tenants",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Quota and rate-limit overrides; shape owned by the tenant service. */
    settings: jsonb("settings").notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex("tenants_slug_key").on(table.slug)],
);

export const principals = pgTable(
  "principals",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    roles: text("roles").array().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex("principals_tenant_name_key").on(table.tenantId, table.name)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** The principal that created the key; the key acts with its own roles. */
    createdBy: text("created_by").references(() => principals.id),
    name: text("name").notNull(),
    /** The first characters of the key, safe to show and to search by. */
    prefix: text("prefix").notNull(),
    /** Lowercase hex SHA-256 of the whole key; the key itself is never stored. */
    keyHash: text("key_hash").notNull(),
    roles: text("roles").array().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("api_keys_key_hash_key").on(table.keyHash),
    index("api_keys_tenant_id_idx").on(table.tenantId, table.id.desc()),
  ],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** Every token issued by rotation from one grant shares a family; reuse revokes the family. */
    familyId: text("family_id").notNull(),
    subjectType: text("subject_type", { enum: ["principal", "api_key"] }).notNull(),
    subjectId: text("subject_id").notNull(),
    roles: text("roles").array().notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("refresh_tokens_token_hash_key").on(table.tokenHash),
    index("refresh_tokens_family_idx").on(table.tenantId, table.familyId),
  ],
);

export const eventReceivers = pgTable(
  "event_receivers",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    type: text("type").notNull(),
    version: text("version").notNull(),
    description: text("description").notNull().default(""),
    schema: jsonb("schema").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("event_receivers_identity_key").on(table.tenantId, table.name, table.type, table.version),
    index("event_receivers_tenant_id_idx").on(table.tenantId, table.id.desc()),
  ],
);

export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    eventReceiverId: text("event_receiver_id")
      .notNull()
      .references(() => eventReceivers.id),
    name: text("name").notNull(),
    version: text("version").notNull(),
    release: text("release").notNull(),
    platformId: text("platform_id").notNull(),
    package: text("package").notNull(),
    description: text("description").notNull().default(""),
    payload: jsonb("payload").notNull(),
    success: boolean("success").notNull(),
    createdAt: createdAt(),
    /** The principal (or API key) that posted it. */
    createdBy: text("created_by").notNull(),
    requestId: text("request_id").notNull(),
  },
  (table) => [
    index("events_tenant_id_idx").on(table.tenantId, table.id.desc()),
    index("events_tenant_receiver_idx").on(table.tenantId, table.eventReceiverId, table.id.desc()),
    // The artifact key: group completion looks up each member's latest event by it.
    index("events_tenant_artifact_idx").on(
      table.tenantId,
      table.eventReceiverId,
      table.name,
      table.version,
      table.release,
      table.platformId,
      table.package,
      table.id.desc(),
    ),
    index("events_tenant_name_idx").on(table.tenantId, table.name, table.id.desc()),
  ],
);

export const receiverGroups = pgTable(
  "receiver_groups",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    type: text("type").notNull(),
    version: text("version").notNull(),
    description: text("description").notNull().default(""),
    enabled: boolean("enabled").notNull().default(true),
    fingerprint: text("fingerprint").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("receiver_groups_identity_key").on(table.tenantId, table.name, table.type, table.version),
    index("receiver_groups_tenant_id_idx").on(table.tenantId, table.id.desc()),
  ],
);

export const groupMembers = pgTable(
  "group_members",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    groupId: text("group_id")
      .notNull()
      .references(() => receiverGroups.id, { onDelete: "cascade" }),
    eventReceiverId: text("event_receiver_id")
      .notNull()
      .references(() => eventReceivers.id),
  },
  (table) => [
    primaryKey({ columns: [table.groupId, table.eventReceiverId] }),
    index("group_members_receiver_idx").on(table.tenantId, table.eventReceiverId),
  ],
);

/**
 * Whether a group is currently complete for an artifact key. Its row is locked by every event
 * that may change it, so concurrent events are serialized per (group, key) and exactly one of
 * them records a completion.
 */
export const groupKeyStates = pgTable(
  "group_key_states",
  {
    tenantId: text("tenant_id").notNull(),
    groupId: text("group_id")
      .notNull()
      .references(() => receiverGroups.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: text("version").notNull(),
    release: text("release").notNull(),
    platformId: text("platform_id").notNull(),
    package: text("package").notNull(),
    complete: boolean("complete").notNull().default(false),
  },
  (table) => [
    primaryKey({
      columns: [table.groupId, table.name, table.version, table.release, table.platformId, table.package],
    }),
  ],
);

export const groupCompletions = pgTable(
  "group_completions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    groupId: text("group_id")
      .notNull()
      .references(() => receiverGroups.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: text("version").notNull(),
    release: text("release").notNull(),
    platformId: text("platform_id").notNull(),
    package: text("package").notNull(),
    eventIds: text("event_ids").array().notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("group_completions_group_idx").on(table.tenantId, table.groupId, table.id.desc())],
);

/**
 * Transactional outbox: written with the fact it announces, published to Kafka afterwards.
 * Rows of one key are published in `seq` order; a published row keeps its broker position until
 * the relay purges it.
 */
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
export const auditLogs = pgTable(
  "audit_logs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    actorType: text("actor_type", { enum: ["principal", "api_key", "system"] }).notNull(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id"),
    outcome: text("outcome", { enum: ["success", "denied", "failure"] }).notNull(),
    requestId: text("request_id"),
    /** Truncated: /24 of IPv4, /48 of IPv6. */
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
  },
  (table) => [
    index("audit_logs_tenant_idx").on(table.tenantId, table.id.desc()),
    index("audit_logs_resource_idx").on(table.tenantId, table.resourceType, table.resourceId),
  ],
);

/** Idempotency-Key records: the first completed response per (tenant, principal, key), 24 h. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    principalId: text("principal_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    /** Null while the first request is still running. */
    responseStatus: integer("response_status"),
    responseHeaders: jsonb("response_headers"),
    responseBody: text("response_body"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.principalId, table.key] }),
    index("idempotency_keys_expires_idx").on(table.expiresAt),
  ],
);

/** Events accepted per tenant and month, written by the TenantGate after the fact (reporting). */
export const tenantUsage = pgTable(
  "tenant_usage",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    periodStart: timestamp("period_start", { withTimezone: true, mode: "date" }).notNull(),
    events: integer("events").notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.periodStart] })],
);
