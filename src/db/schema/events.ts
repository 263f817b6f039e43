// Receivers, their events, groups and group completions.
import { boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns";
import { tenants } from "./tenants";

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
