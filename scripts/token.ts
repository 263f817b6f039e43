// `npm run token -- --tenant <slug or id> --role <role> [--name <principal>] [--create]`: prints an
// access token for a principal of the tenant (created when missing), signed with the local key in
// .data/secrets.json (the one `npm run dev` gives the Worker), or with JWT_SIGNING_KEY and
// DATABASE_URL of a deployment. The tenant must exist unless `--create` is given: a typo in a slug
// must not make a new tenant, least of all in a deployment's database. Against the local stack it
// uses the database of the running `npm run dev` (.data/running.json).
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { and, eq, or } from "drizzle-orm";
import { ulid } from "ulidx";
import { principals, tenants } from "../src/db/schema";
import { isRole } from "../src/domain/permissions";
import { withDatabase } from "./lib/database";
import { runningStack } from "./lib/running";
import { localSecrets, mintToken } from "./lib/secrets";

class UsageError extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: "string", default: "dev" },
      role: { type: "string", default: "admin" },
      name: { type: "string" },
      create: { type: "boolean", default: false },
    },
  });
  const tenantRef = values.tenant ?? "dev";
  const role = values.role ?? "admin";
  const isId = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(tenantRef);
  if (!isId && !/^[a-z0-9-]{3,63}$/.test(tenantRef)) {
    throw new UsageError("--tenant takes a tenant id (26-character ULID) or a slug (3–63 of a-z, 0-9, -)");
  }
  if (!isRole(role)) throw new UsageError("--role must be one of admin, writer, reader, platform_admin");
  const name = values.name ?? `dev-${role}`;

  const dataDir = resolve(process.env.XZEPR_DATA_DIR ?? ".data");
  const databaseUrl =
    process.env.DATABASE_URL ??
    runningStack(dataDir)?.databaseUrl ??
    `postgres://postgres:postgres@127.0.0.1:${process.env.XZEPR_PG_PORT ?? 54329}/xzepr`;
  // A deployment's own key when given (bootstrapping its first platform admin), else the local one.
  const deployedKey = process.env.JWT_SIGNING_KEY;
  const secrets = deployedKey
    ? { JWT_SIGNING_KEY: deployedKey, CURSOR_SECRET: "unused-here-unused-here-unused-here" }
    : await localSecrets(resolve(dataDir, "secrets.json"));

  const { tenantId, principalId } = await withDatabase(databaseUrl, (db) =>
    db.transaction(async (tx) => {
      let [tenant] = await tx
        .select()
        .from(tenants)
        .where(
          isId ? or(eq(tenants.id, tenantRef), eq(tenants.slug, tenantRef)) : eq(tenants.slug, tenantRef),
        );
      if (!tenant && !values.create) {
        throw new UsageError(`no tenant ${tenantRef} in this database (add --create to create it)`);
      }
      if (isId && !tenant) throw new UsageError("--create needs a slug, not an id");
      tenant ??= (
        await tx.insert(tenants).values({ id: ulid(), slug: tenantRef, name: tenantRef }).returning()
      )[0];
      if (!tenant) throw new Error("could not create the tenant");
      let [principal] = await tx
        .select()
        .from(principals)
        .where(and(eq(principals.tenantId, tenant.id), eq(principals.name, name)));
      principal ??= (
        await tx
          .insert(principals)
          .values({ id: ulid(), tenantId: tenant.id, name, roles: [role] })
          .returning()
      )[0];
      if (!principal) throw new Error("could not create the principal");
      return { tenantId: tenant.id, principalId: principal.id };
    }),
  );
  console.log(await mintToken(secrets, { tenantId, principalId, roles: [role] }));
}

main().catch((error: unknown) => {
  // One line: what went wrong and, for a usage error, what to do; no stack trace.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`token: ${message.split("\n")[0]}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
