// Migrations and the dev tenant, over node-postgres (drizzle-kit's and the scripts' driver).
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { ulid } from "ulidx";
import { apiKeys, principals, tenants } from "../../src/db/schema";
import { newApiKeySecret } from "../../src/domain/api-key-secret";
import { sha256Hex } from "../../src/lib/crypto";

const MIGRATIONS = new URL("../../drizzle", import.meta.url).pathname;

export async function withDatabase<T>(
  url: string,
  work: (db: ReturnType<typeof drizzle>) => Promise<T>,
): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await work(drizzle({ client: pool }));
  } finally {
    await pool.end();
  }
}

export function migrateDatabase(url: string): Promise<void> {
  return withDatabase(url, (db) => migrate(db, { migrationsFolder: MIGRATIONS }));
}

export interface DevCredentials {
  tenantId: string;
  tenantSlug: string;
  principalId: string;
  apiKey: string;
}

/**
 * Makes sure the dev tenant, its admin principal and an admin API key exist. `remembered` is the
 * key from an earlier run (kept in .data/); it is reused while its hash is still in the database.
 */
export async function ensureDevTenant(
  url: string,
  slug: string,
  remembered?: string,
): Promise<DevCredentials> {
  return withDatabase(url, async (db) =>
    db.transaction(async (tx) => {
      let [tenant] = await tx.select().from(tenants).where(eq(tenants.slug, slug));
      if (!tenant) {
        [tenant] = await tx
          .insert(tenants)
          .values({ id: ulid(), slug, name: `Dev tenant (${slug})` })
          .returning();
      }
      if (!tenant) throw new Error("could not create the dev tenant");
      let [principal] = await tx.select().from(principals).where(eq(principals.tenantId, tenant.id)).limit(1);
      if (!principal) {
        [principal] = await tx
          .insert(principals)
          .values({ id: ulid(), tenantId: tenant.id, name: "dev-admin", roles: ["admin"] })
          .returning();
      }
      if (!principal) throw new Error("could not create the dev principal");
      if (remembered) {
        const [known] = await tx
          .select()
          .from(apiKeys)
          .where(eq(apiKeys.keyHash, await sha256Hex(remembered)));
        if (known && known.tenantId === tenant.id && !known.revokedAt) {
          return { tenantId: tenant.id, tenantSlug: slug, principalId: principal.id, apiKey: remembered };
        }
      }
      const secret = await newApiKeySecret();
      await tx.insert(apiKeys).values({
        id: ulid(),
        tenantId: tenant.id,
        createdBy: principal.id,
        name: "dev admin key",
        prefix: secret.prefix,
        keyHash: secret.hash,
        roles: ["admin"],
      });
      return { tenantId: tenant.id, tenantSlug: slug, principalId: principal.id, apiKey: secret.key };
    }),
  );
}
