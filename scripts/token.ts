// `npm run token -- --tenant <slug> --role <role> [--name <principal>]`: creates the tenant and a
// principal in the local database when missing, and prints an access token for it, signed with
// the local key in .data/secrets.json (the one `npm run dev` gives the Worker), or with
// JWT_SIGNING_KEY and DATABASE_URL of a deployment.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { and, eq } from "drizzle-orm";
import { ulid } from "ulidx";
import { principals, tenants } from "../src/db/schema";
import { isRole } from "../src/domain/permissions";
import { withDatabase } from "./lib/database";
import { localSecrets, mintToken } from "./lib/secrets";

const { values } = parseArgs({
  options: {
    tenant: { type: "string", default: "dev" },
    role: { type: "string", default: "admin" },
    name: { type: "string" },
  },
});
const slug = values.tenant ?? "dev";
const role = values.role ?? "admin";
if (!/^[a-z0-9-]{3,63}$/.test(slug)) throw new Error("--tenant must be 3–63 characters of a-z, 0-9 and -");
if (!isRole(role)) throw new Error("--role must be one of admin, writer, reader, platform_admin");
const name = values.name ?? `dev-${role}`;

const dataDir = resolve(process.env.XZEPR_DATA_DIR ?? ".data");
const databaseUrl =
  process.env.DATABASE_URL ??
  `postgres://postgres:postgres@127.0.0.1:${process.env.XZEPR_PG_PORT ?? 54329}/xzepr`;
// A deployment's own key when given (bootstrapping its first platform admin), else the local one.
const deployedKey = process.env.JWT_SIGNING_KEY;
const secrets = deployedKey
  ? { JWT_SIGNING_KEY: deployedKey, CURSOR_SECRET: "unused-here-unused-here-unused-here" }
  : await localSecrets(resolve(dataDir, "secrets.json"));

const { tenantId, principalId } = await withDatabase(databaseUrl, (db) =>
  db.transaction(async (tx) => {
    let [tenant] = await tx.select().from(tenants).where(eq(tenants.slug, slug));
    tenant ??= (await tx.insert(tenants).values({ id: ulid(), slug, name: slug }).returning())[0];
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
