// Tenants, managed by platform admins: enable/disable, quota and rate-limit settings.

import { desc, eq, lt } from "drizzle-orm";
import { ulid } from "ulidx";
import type { RequestMeta } from "../contracts/request";
import type { TenantSettings } from "../contracts/tenant-settings";
import type { Database, RunTransaction, Transaction } from "../db/client";
import { tenants } from "../db/schema";
import type { Config } from "../env";
import { callGate, gateFor } from "../infra/gate";
import { ApiError } from "../lib/errors";
import { writeAudit } from "./audit";
import type { Principal } from "./auth";
import { conflictOnDuplicate } from "./context";
import { forgetSettings } from "./tenant-settings";

export type TenantRow = typeof tenants.$inferSelect;

export function tenantView(row: TenantRow) {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    enabled: row.enabled,
    settings: row.settings as TenantSettings,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const DUPLICATE = "A tenant with this slug already exists.";

export interface PlatformContext {
  db: Database;
  transaction: RunTransaction;
  config: Config;
  /** The platform admin acting, and the request: the entries go to the tenant acted on. */
  principal: Principal;
  request: RequestMeta;
  now: Date;
}

const auditTenant = (tx: Transaction, ctx: PlatformContext, tenantId: string, action: string) =>
  writeAudit(
    tx,
    { tenantId, principal: ctx.principal, request: ctx.request },
    { action, resourceType: "tenant", resourceId: tenantId },
  );

export async function createTenant(
  ctx: PlatformContext,
  input: { slug: string; name: string; enabled: boolean; settings: TenantSettings },
) {
  const id = ulid();
  const [row] = await conflictOnDuplicate(DUPLICATE, () =>
    ctx.transaction(async (tx) => {
      const rows = await tx
        .insert(tenants)
        .values({ id, ...input })
        .returning();
      await auditTenant(tx, ctx, id, "tenant.create");
      return rows;
    }),
  );
  return row as TenantRow;
}

export async function getTenant(ctx: PlatformContext, id: string): Promise<TenantRow> {
  const [row] = await ctx.db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw new ApiError(404, "NOT_FOUND", "No such tenant.");
  return row;
}

export function listTenants(ctx: PlatformContext, page: { limit: number; after?: string }) {
  return ctx.db
    .select()
    .from(tenants)
    .where(page.after ? lt(tenants.id, page.after) : undefined)
    .orderBy(desc(tenants.id))
    .limit(page.limit);
}

export async function updateTenant(
  ctx: PlatformContext,
  id: string,
  changes: {
    name?: string | undefined;
    enabled?: boolean | undefined;
    settings?: TenantSettings | undefined;
  },
) {
  const row = await ctx.transaction(async (tx) => {
    const [updated] = await tx
      .update(tenants)
      .set({ ...changes, updatedAt: ctx.now })
      .where(eq(tenants.id, id))
      .returning();
    if (!updated) throw new ApiError(404, "NOT_FOUND", "No such tenant.");
    await auditTenant(tx, ctx, id, "tenant.update");
    return updated;
  });
  // A disabled tenant is refused at once, its valid tokens included.
  await callGate(() => gateFor(ctx.config, id).setSubjects([{ kind: "tenant", id, active: row.enabled }]));
  forgetSettings(id);
  return row;
}
