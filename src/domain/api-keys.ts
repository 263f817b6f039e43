// API keys of a tenant: created by admins, shown once, stored as SHA-256, revocable, may expire.

import { and, eq, isNull } from "drizzle-orm";
import { ulid } from "ulidx";
import type { Database } from "../db/client";
import { tenantPage } from "../db/pages";
import { apiKeys } from "../db/schema";
import { callGate, gateFor } from "../infra/gate";
import { ApiError } from "../lib/errors";
import { newApiKeySecret } from "./api-key-secret";
import { withAudit } from "./audit";
import type { ServiceContext } from "./context";
import type { Role } from "./permissions";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function apiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    roles: row.roles,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}

const live = (ctx: ServiceContext) => and(eq(apiKeys.tenantId, ctx.tenantId), isNull(apiKeys.revokedAt));

export async function createApiKey(
  ctx: ServiceContext,
  input: { name: string; roles: Role[]; expiresAt?: Date | undefined },
) {
  if (input.expiresAt && input.expiresAt <= ctx.now) {
    throw new ApiError(400, "VALIDATION_FAILED", "The request is invalid.", {
      details: [{ path: "expires_at", message: "must be in the future" }],
    });
  }
  const secret = await newApiKeySecret();
  const id = ulid();
  const [row] = await withAudit(
    ctx,
    { action: "api_key.create", resourceType: "api_key", resourceId: id },
    (tx) =>
      tx
        .insert(apiKeys)
        .values({
          id,
          tenantId: ctx.tenantId,
          createdBy: ctx.principal.type === "principal" ? ctx.principal.id : null,
          name: input.name,
          prefix: secret.prefix,
          keyHash: secret.hash,
          roles: input.roles,
          expiresAt: input.expiresAt ?? null,
        })
        .returning(),
  );
  return { row: row as ApiKeyRow, key: secret.key };
}

export async function getApiKey(ctx: ServiceContext, id: string): Promise<ApiKeyRow> {
  const [row] = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(live(ctx), eq(apiKeys.id, id)));
  if (!row) throw new ApiError(404, "NOT_FOUND", "No such API key.");
  return row;
}

export function listApiKeys(ctx: ServiceContext, page: { limit: number; after?: string }) {
  return tenantPage(ctx.db, apiKeys, ctx.tenantId, page, [isNull(apiKeys.revokedAt)]);
}

/** Revokes at once: the gate refuses the key (and tokens issued from it) from now on. */
export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<void> {
  const row = await getApiKey(ctx, id);
  await callGate(() =>
    gateFor(ctx.config, ctx.tenantId).setSubjects([{ kind: "api_key", id: row.id, active: false }]),
  );
  await withAudit(ctx, { action: "api_key.revoke", resourceType: "api_key", resourceId: row.id }, (tx) =>
    tx
      .update(apiKeys)
      .set({ revokedAt: ctx.now })
      .where(and(eq(apiKeys.tenantId, ctx.tenantId), eq(apiKeys.id, id))),
  );
}

// Key id → last time this isolate wrote last_used_at: one write a minute per key at most.
const touched = new Map<string, number>();

/** True once a minute per key in this isolate: then its use is worth recording. */
export function firstUseThisMinute(id: string, nowSeconds: number): boolean {
  const last = touched.get(id);
  if (last !== undefined && nowSeconds - last < 60) return false;
  if (touched.size >= 10_000) touched.clear();
  touched.set(id, nowSeconds);
  return true;
}

/** Records the key's use (after the response; see firstUseThisMinute). */
export async function touchApiKey(db: Database, tenantId: string, id: string, now: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id)));
}
