// The local Neon HTTP endpoint, spoken to by the real driver (and Drizzle's neon-http over it).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NeonDbError, type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NeonHttp, startNeonHttp } from "./neon-http";
import { freePort } from "./ports";
import { type LocalPostgres, startPostgres } from "./postgres";

const items = pgTable("items", { id: integer("id").primaryKey(), name: text("name").notNull() });

async function failure(promise: Promise<unknown>): Promise<NeonDbError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(NeonDbError);
  return error as NeonDbError;
}

describe("startNeonHttp", () => {
  let dataDir: string;
  let pgPort: number;
  let deadPort: number;
  let postgres: LocalPostgres;
  let endpoint: NeonHttp;
  let sql: NeonQueryFunction<false, false>;
  const start = () => startPostgres({ dataDir, port: pgPort, persistent: true });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "xzepr-neon-http-"));
    pgPort = await freePort();
    // Allowed, but nothing listens there: a database that cannot be reached.
    deadPort = await freePort();
    postgres = await start();
    endpoint = await startNeonHttp({ port: 0, allow: [`127.0.0.1:${pgPort}`, `127.0.0.1:${deadPort}`] });
    neonConfig.fetchEndpoint = endpoint.url;
    sql = neon(postgres.url);
    await sql`create table items (id int primary key, name text not null constraint items_name_key unique)`;
  }, 120_000);

  afterAll(async () => {
    await endpoint?.close();
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("carries parameters and results as PostgreSQL text, which the driver parses", async () => {
    const beyondDoubles = "9007199254740993"; // 2^53 + 1
    const when = new Date("2024-05-06T07:08:09.123Z");
    const document = { a: 1, nested: [true, null], text: 'é "quoted"' };
    const [row] = await sql`select ${document}::jsonb as document, ${["x", "y,z", null]}::text[] as words,
      ${[1, 2, 3]}::int[] as numbers, ${when}::timestamptz as at, ${beyondDoubles}::bigint + 1 as big,
      ${null}::text as nothing, ${Buffer.from([0, 1, 254, 255])}::bytea as buffer,
      ${new Uint8Array([7, 8])}::bytea as array, ${true}::boolean as yes, ${"12345678901234567890.123"}::numeric as exact`;
    expect(row).toEqual({
      document,
      words: ["x", "y,z", null],
      numbers: [1, 2, 3],
      at: when,
      big: "9007199254740994",
      nothing: null,
      buffer: Buffer.from([0, 1, 254, 255]),
      array: Buffer.from([7, 8]),
      yes: true,
      exact: "12345678901234567890.123",
    });
  });

  it("answers fields, command and row count in full-results mode", async () => {
    const result = await sql.query("select 1::int as one", [], { fullResults: true });
    expect(result).toMatchObject({ command: "SELECT", rowCount: 1, rows: [{ one: 1 }] });
    expect(result.fields[0]).toMatchObject({ name: "one", dataTypeID: 23, format: "text" });
  });

  it("commits a batch as one transaction", async () => {
    const [, , count] = await sql.transaction([
      sql`insert into items values (1, 'one')`,
      sql`insert into items values (2, 'two')`,
      sql`select count(*)::int as n from items where id in (1, 2)`,
    ]);
    expect(count).toEqual([{ n: 2 }]);
  });

  it("rolls the whole batch back when a statement fails, and reports PostgreSQL's error", async () => {
    const error = await failure(
      sql.transaction([sql`insert into items values (3, 'three')`, sql`insert into items values (4, 'one')`]),
    );
    expect(error).toMatchObject({ code: "23505", constraint: "items_name_key", table: "items" });
    expect(error.detail).toContain("already exists");
    expect(await sql`select id from items where id = 3`).toEqual([]);
  });

  it("applies the isolation level, read-only and deferrable headers", async () => {
    const results = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`, sql`show transaction_deferrable`],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect(results).toEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    const error = await failure(
      sql.transaction([sql`insert into items values (5, 'five')`], { readOnly: true }),
    );
    expect(error.code).toBe("25006");
  });

  it("gives a failing single query its SQLSTATE, constraint and position", async () => {
    const duplicate = await failure(sql`insert into items values (1, 'again')`);
    expect(duplicate).toMatchObject({ code: "23505", constraint: "items_pkey", severity: "ERROR" });
    const syntax = await failure(sql.query("selec 1"));
    expect(syntax).toMatchObject({ code: "42601", position: expect.any(String) });
    // As on Neon: one statement per query (extended protocol).
    expect((await failure(sql.query("select 1; select 2"))).code).toBe("42601");
  });

  it("runs under Drizzle's neon-http driver, batches included", async () => {
    const db = drizzle({ client: sql });
    expect(await db.insert(items).values({ id: 10, name: "ten" }).returning()).toEqual([
      { id: 10, name: "ten" },
    ]);
    const [, found] = await db.batch([
      db.update(items).set({ name: "TEN" }).where(eq(items.id, 10)),
      db.select().from(items).where(eq(items.id, 10)),
    ]);
    expect(found).toEqual([{ id: 10, name: "TEN" }]);
  });

  it("refuses a database it is not allowed to reach, and answers 500 for one it cannot reach", async () => {
    await expect(neon("postgresql://postgres:postgres@127.0.0.1:1/xzepr")`select 1`).rejects.toThrow(
      /HTTP status 403/,
    );
    await expect(
      neon(`postgresql://postgres:postgres@127.0.0.1:${deadPort}/xzepr`)`select 1`,
    ).rejects.toThrow(/HTTP status 500/);
  });

  it("answers 400, 404 and 405 to what is not a query", async () => {
    const headers = {
      "Neon-Connection-String": postgres.url,
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
    };
    const badJson = await fetch(endpoint.url, { method: "POST", headers, body: "{" });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ message: "request body is not valid JSON" });
    const badLevel = await fetch(endpoint.url, {
      method: "POST",
      headers: { ...headers, "Neon-Batch-Isolation-Level": "Chaos" },
      body: JSON.stringify({ queries: [] }),
    });
    expect(badLevel.status).toBe(400);
    expect((await fetch(endpoint.url.replace("/sql", "/other"), { method: "POST" })).status).toBe(404);
    expect((await fetch(endpoint.url)).status).toBe(405);
  });

  it("makes every request cost the simulated round trip", async () => {
    endpoint.setRttMs(30);
    try {
      const started = performance.now();
      for (let index = 0; index < 3; index++) await sql`select 1`;
      expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    } finally {
      endpoint.setRttMs(0);
    }
    expect(() => endpoint.setRttMs(-1)).toThrow(RangeError);
  });

  it("counts requests, single queries and batches", async () => {
    const before = endpoint.stats();
    await sql`select 1`;
    await sql.transaction([sql`select 1`, sql`select 2`]);
    const after = endpoint.stats();
    expect({
      requests: after.requests - before.requests,
      queries: after.queries - before.queries,
      batches: after.batches - before.batches,
    }).toEqual({ requests: 2, queries: 1, batches: 1 });
  });

  it("recovers its warm pool after the database restarts", { timeout: 60_000 }, async () => {
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    await postgres.stop();
    await expect(sql`select 1`).rejects.toThrow(/HTTP status 500/);
    postgres = await start();
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
  });
});
