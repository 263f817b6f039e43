// Tenant settings (quota, limits, deny lists) as the request pipeline reads them: from the
// database, cached per isolate for a short time, so a change applies within TTL_MS everywhere.
import { eq } from "drizzle-orm";
import type { TenantSettings } from "../contracts/tenant-settings";
import type { Database } from "../db/client";
import { tenants } from "../db/schema";

const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;
const cache = new Map<string, { settings: TenantSettings; loadedAt: number }>();

export async function settingsFor(db: Database, tenantId: string, now: number): Promise<TenantSettings> {
  const cached = cache.get(tenantId);
  if (cached && now - cached.loadedAt < TTL_MS) return cached.settings;
  const [row] = await db.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, tenantId));
  const settings = (row?.settings ?? {}) as TenantSettings;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(tenantId, { settings, loadedAt: now });
  return settings;
}

/** After an admin change in this isolate, the next request reads it at once. */
export function forgetSettings(tenantId: string): void {
  cache.delete(tenantId);
}
