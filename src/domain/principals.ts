// Principals of a tenant (people and services that authenticate with tokens), managed by admins.
import { and, eq } from "drizzle-orm";
import { ulid } from "ulidx";
import type { Database } from "../db/client";
import { tenantPage } from "../db/pages";
import { apiKeys, principals, tenants } from "../db/schema";
import { callGate, gateFor } from "../infra/gate";
import { ApiError } from "../lib/errors";
import { withAudit } from "./audit";
import type { Principal } from "./auth";
import { conflictOnDuplicate, type ServiceContext } from "./context";
import { permissionsFor, type Role } from "./permissions";

export type PrincipalRow = typeof principals.$inferSelect;

export function principalView(row: PrincipalRow) {
  return {
    id: row.id,
    name: row.name,
    roles: row.roles,
    enabled: row.enabled,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const notFound = () => new ApiError(404, "NOT_FOUND", "No such principal.");
const DUPLICATE = "A principal with this name already exists in the tenant.";

export async function createPrincipal(
  ctx: ServiceContext,
  input: { name: string; roles: Role[]; enabled: boolean },
) {
  const id = ulid();
  const [row] = await conflictOnDuplicate(DUPLICATE, () =>
    withAudit(ctx, { action: "principal.create", resourceType: "principal", resourceId: id }, (tx) =>
      tx
        .insert(principals)
        .values({
          id,
          tenantId: ctx.tenantId,
          name: input.name,
          roles: input.roles,
          enabled: input.enabled,
        })
        .returning(),
    ),
  );
  return row as PrincipalRow;
}

export async function getPrincipal(ctx: ServiceContext, id: string): Promise<PrincipalRow> {
  const [row] = await ctx.db
    .select()
    .from(principals)
    .where(and(eq(principals.tenantId, ctx.tenantId), eq(principals.id, id)));
  if (!row) throw notFound();
  return row;
}

export function listPrincipals(ctx: ServiceContext, page: { limit: number; after?: string }) {
  return tenantPage(ctx.db, principals, ctx.tenantId, page);
}

export async function updatePrincipal(
  ctx: ServiceContext,
  id: string,
  changes: { name?: string | undefined; roles?: Role[] | undefined; enabled?: boolean | undefined },
) {
  // Role changes and disabling are in the entry's action: principal.update.
  const [row] = await conflictOnDuplicate(DUPLICATE, () =>
    withAudit(ctx, { action: "principal.update", resourceType: "principal", resourceId: id }, async (tx) => {
      const rows = await tx
        .update(principals)
        .set({ ...changes, updatedAt: ctx.now })
        .where(and(eq(principals.tenantId, ctx.tenantId), eq(principals.id, id)))
        .returning();
      if (rows.length === 0) throw notFound();
      return rows;
    }),
  );
  if (!row) throw notFound();
  // Disabling takes effect at once, for tokens already issued too.
  await callGate(() =>
    gateFor(ctx.config, ctx.tenantId).setSubjects([{ kind: "principal", id, active: row.enabled }]),
  );
  return row;
}

export async function deletePrincipal(ctx: ServiceContext, id: string): Promise<void> {
  await getPrincipal(ctx, id);
  await callGate(() =>
    gateFor(ctx.config, ctx.tenantId).setSubjects([{ kind: "principal", id, active: false }]),
  );
  await withAudit(
    ctx,
    { action: "principal.delete", resourceType: "principal", resourceId: id },
    async (tx) => {
      await tx
        .update(apiKeys)
        .set({ createdBy: null })
        .where(and(eq(apiKeys.tenantId, ctx.tenantId), eq(apiKeys.createdBy, id)));
      await tx.delete(principals).where(and(eq(principals.tenantId, ctx.tenantId), eq(principals.id, id)));
    },
  );
}

/** GET /auth/me: the caller's name and tenant come from the database, the rest from the credential. */
/** The caller, its name and its tenant: one query (a join), so GET /auth/me costs one round trip. */
export async function describeCaller(db: Database, caller: Principal) {
  const table = caller.type === "api_key" ? apiKeys : principals;
  const [found] = await db
    .select({ id: tenants.id, slug: tenants.slug, name: table.name })
    .from(tenants)
    .innerJoin(table, and(eq(table.tenantId, tenants.id), eq(table.id, caller.id)))
    .where(eq(tenants.id, caller.tenantId));
  if (!found) throw new ApiError(401, "UNAUTHENTICATED", "Valid credentials are required.");
  return {
    principal: { id: caller.id, name: found.name, roles: caller.roles },
    tenant: { id: found.id, slug: found.slug },
    permissions: permissionsFor(caller.roles),
    auth: caller.auth,
  };
}
