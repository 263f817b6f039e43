// Tenants and who acts in them: principals, API keys, refresh tokens, and monthly usage.
import { sql } from "drizzle-orm";
import {
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
import type { Role } from "../../contracts/roles";
import { createdAt, updatedAt } from "./columns";

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
    roles: text("roles").array().$type<Role[]>().notNull(),
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
    roles: text("roles").array().$type<Role[]>().notNull(),
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
