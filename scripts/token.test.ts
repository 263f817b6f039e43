// `npm run token` against a real PostgreSQL: a slug or an id finds the tenant, an unknown one is
// refused in one line unless --create is given, and the database of the running `npm run dev`
// (.data/running.json) is the one it writes to.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenants } from "../src/db/schema";
import { migrateDatabase, withDatabase } from "./lib/database";
import { freePort } from "./lib/ports";
import { type LocalPostgres, startPostgres } from "./lib/postgres";
import { recordRunning } from "./lib/running";

const run = promisify(execFile);
const TSX = join(import.meta.dirname, "..", "node_modules", ".bin", "tsx");

describe("npm run token", () => {
  let dataDir: string;
  let postgres: LocalPostgres;

  /** The CLI with only the data directory set: it must find the database on its own. */
  const token = async (...args: string[]) => {
    const { DATABASE_URL: _url, JWT_SIGNING_KEY: _key, ...inherited } = process.env;
    const env = { ...inherited, XZEPR_DATA_DIR: dataDir };
    try {
      const { stdout, stderr } = await run(TSX, ["scripts/token.ts", ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const slugs = async () =>
    withDatabase(postgres.url, async (db) => (await db.select().from(tenants)).map((t) => t.slug));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "xzepr-token-"));
    postgres = await startPostgres({
      dataDir: join(dataDir, "pg"),
      port: await freePort(),
      persistent: false,
    });
    await migrateDatabase(postgres.url);
    // As `npm run dev` leaves it: this process stands in for the dev server.
    recordRunning(dataDir, { pid: process.pid, url: "http://127.0.0.1:1", databaseUrl: postgres.url });
    await withDatabase(postgres.url, (db) =>
      db.insert(tenants).values({ id: "01JD3Z9T1V6Q2C8M4X5Y7B0N9K", slug: "acme", name: "Acme" }),
    );
  }, 120_000);

  afterAll(async () => {
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints a token for a tenant given by slug or by id, in the running stack's database", async () => {
    for (const tenant of ["acme", "01JD3Z9T1V6Q2C8M4X5Y7B0N9K"]) {
      const result = await token("--tenant", tenant, "--role", "reader");
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+\n$/);
    }
  }, 60_000);

  it("refuses an unknown tenant in one line, and creates it only with --create", async () => {
    const refused = await token("--tenant", "acme-typo");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe("token: no tenant acme-typo in this database (add --create to create it)\n");
    expect(await slugs()).not.toContain("acme-typo");
    const created = await token("--tenant", "acme-new", "--create");
    expect(created.stdout).toMatch(/^ey/);
    expect(await slugs()).toContain("acme-new");
    const bad = await token("--tenant", "Not A Slug");
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  }, 60_000);
});
