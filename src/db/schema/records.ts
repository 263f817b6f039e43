// Audit log and idempotency keys.
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

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
