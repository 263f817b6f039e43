// Dependencies failing under a request: each answers 503 DEPENDENCY_UNAVAILABLE with Retry-After,
// in the error envelope, never a 500; and nothing is half-written.
import { env } from "cloudflare:test";
import { count, eq, sql } from "drizzle-orm";
import { ulid } from "ulidx";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app";
import { openDatabase } from "../src/db/client";
import { events, principals, tenants } from "../src/db/schema";
import { loadConfig } from "../src/env";
import { apiOf, expectStatus } from "./client";
import {
  artifact,
  createReceiver,
  createTenant,
  receiverBody,
  tokenFor,
  UNLIMITED,
  withDb,
} from "./fixtures";
import { expectError } from "./helpers";
import { eventually } from "./outbox";

/** A TenantGate namespace whose every call fails as a reset or overloaded object does. */
const failingGates = {
  idFromName: (name: string) => name,
  get: () =>
    new Proxy(
      {},
      {
        get: (_target, property) =>
          property === "then"
            ? undefined
            : () => Promise.reject(new Error("Durable Object reset because its code was updated.")),
      },
    ),
};

describe("a failing TenantGate", () => {
  it("answers 503 with Retry-After on an authenticated route and on an event, storing nothing", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    const app = createApp();
    const as = (headers: Record<string, string>) => apiOf(app, { TENANT_GATE: failingGates }, headers);

    const me = await as(tenant.reader.headers).api.v1.auth.me.$get();
    expect(me.headers.get("retry-after")).toBe("1");
    await expectError(me, 503, "DEPENDENCY_UNAVAILABLE");

    const event = await as(tenant.writer.headers).api.v1.events.$post({
      json: { ...artifact(), payload: { size: 1 }, success: true, event_receiver_id: receiver.id },
    });
    await expectError(event, 503, "DEPENDENCY_UNAVAILABLE");
    const stored = await withDb((db) =>
      db.select({ n: count() }).from(events).where(eq(events.tenantId, tenant.id)),
    );
    expect(stored[0]?.n).toBe(0);
  });
});

describe("a TenantGate whose calls at the end of requests fail", () => {
  it("keeps no slot taken and loses no event's quota: its next call delivers them", async () => {
    const tenant = await createTenant({
      settings: { ...UNLIMITED, max_in_flight: 100, event_quota_per_month: 100 },
    });
    const receiver = await createReceiver(tenant, { schema: { type: "object" } });
    let failing = true;
    const real = env.TENANT_GATE as DurableObjectNamespace;
    const flaky = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = real.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        return new Proxy(stub, {
          get: (target, property) =>
            property === "leave" && failing
              ? () => Promise.reject(new Error("Durable Object is overloaded. Too many requests queued."))
              : (...args: unknown[]) => (target[property as string] as (...a: unknown[]) => unknown)(...args),
        });
      },
    };
    const app = createApp();
    const as = (headers: Record<string, string>) => apiOf(app, { TENANT_GATE: flaky }, headers);
    const event = () =>
      as(tenant.writer.headers).api.v1.events.$post({
        json: { ...artifact(), payload: { n: 1 }, success: true, event_receiver_id: receiver.id },
      });
    // Two events while every leave call fails: answered, their slots and quota not yet delivered.
    await expectStatus(await event(), 201);
    await expectStatus(await event(), 201);
    failing = false;
    // The next request's leave carries them: nothing is in flight but the asking request, and the
    // quota counts all three events.
    await expectStatus(await event(), 201);
    const usage = (await expectStatus(await as(tenant.reader.headers).api.v1.usage.$get(), 200)).data;
    expect({ inFlight: usage.in_flight, used: usage.quota.used }).toEqual({ inFlight: 1, used: 3 });
  });
});

describe("the database stopped", () => {
  // The outage database is a server of its own (test/global-setup.ts), stopped and started here;
  // its recovery is in test/routes/health.test.ts.
  it("answers 503 with Retry-After on the token endpoint, never a 500", async () => {
    const { outageBindings, controlUrl } = inject("stack");
    const tenant = await createTenant();
    expect((await fetch(`${controlUrl}/outage-db/stop`, { method: "POST" })).status).toBe(204);
    try {
      const refused = await apiOf(createApp(), outageBindings).api.v1.auth.token.$post({
        json: { grant_type: "api_key", api_key: tenant.apiKey.key },
      });
      expect(refused.headers.get("retry-after")).toBe("5");
      await expectError(refused, 503, "DEPENDENCY_UNAVAILABLE");
    } finally {
      expect((await fetch(`${controlUrl}/outage-db/start`, { method: "POST" })).status).toBe(204);
    }
  });
});

describe("the database stopped under load, and started again", () => {
  it("answers 503 with Retry-After meanwhile, loses and half-writes nothing, and recovers without a restart", async () => {
    const { outageBindings, controlUrl } = inject("stack");
    const db = openDatabase(loadConfig({ ...env, ...outageBindings })).db;
    // A tenant and an admin of its own in the outage database.
    const tenantId = ulid();
    const adminId = ulid();
    await db
      .insert(tenants)
      .values({ id: tenantId, slug: `t-${tenantId.toLowerCase()}`, name: "outage", settings: UNLIMITED });
    await db.insert(principals).values({ id: adminId, tenantId, name: "outage admin", roles: ["admin"] });
    // One app all along: recovery must not need a new isolate or app.
    const app = createApp();
    const client = apiOf(app, outageBindings, {
      authorization: `Bearer ${await tokenFor(tenantId, adminId, ["admin"])}`,
    });
    const receiver = (
      await expectStatus(
        await client.api.v1.receivers.$post({ json: receiverBody({ schema: { type: "object" } }) }),
        201,
      )
    ).data;

    type Outcome = { status: number; id?: string; code?: string; retryAfter: string | null };
    const outcomes: Outcome[] = [];
    let running = true;
    const load = async () => {
      while (running) {
        const response = await client.api.v1.events.$post({
          json: {
            ...artifact(),
            payload: { n: outcomes.length },
            success: true,
            event_receiver_id: receiver.id,
          },
        });
        const body = (await response.json()) as { data?: { id: string }; error?: { code: string } };
        outcomes.push({
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          ...(body.data ? { id: body.data.id } : {}),
          ...(body.error ? { code: body.error.code } : {}),
        });
      }
    };
    const accepted = (from = 0) => outcomes.slice(from).filter((o) => o.status === 201).length;
    const refused = (from = 0) => outcomes.slice(from).filter((o) => o.status === 503).length;
    const workers = Array.from({ length: 4 }, load);
    try {
      await eventually(
        async () => accepted(),
        (n) => n >= 20,
      );
      expect((await fetch(`${controlUrl}/outage-db/stop`, { method: "POST" })).status).toBe(204);
      const stoppedAt = outcomes.length;
      try {
        await eventually(
          async () => refused(stoppedAt),
          (n) => n >= 10,
        );
        const ready = await apiOf(app, outageBindings).health.ready.$get();
        expect(ready.status).toBe(503);
        expect((await expectStatus(ready, 503)).checks.database?.status).toBe("down");
      } finally {
        expect((await fetch(`${controlUrl}/outage-db/start`, { method: "POST" })).status).toBe(204);
      }
      const startedAt = outcomes.length;
      await eventually(
        async () => accepted(startedAt),
        (n) => n >= 20,
        20_000,
      );
    } finally {
      running = false;
      await Promise.all(workers);
    }

    // Every answer was a 201 or a 503 DEPENDENCY_UNAVAILABLE with Retry-After: never a 500.
    const odd = outcomes.filter(
      (o) => !(o.status === 201 || (o.status === 503 && o.code === "DEPENDENCY_UNAVAILABLE" && o.retryAfter)),
    );
    expect(odd).toEqual([]);
    expect(refused()).toBeGreaterThanOrEqual(10);
    // Nothing accepted is lost. A 503 may still have been stored (its commit raced the outage: the
    // client retries with an Idempotency-Key), but nothing is half-written: each stored event has
    // its outbox message and each message its event.
    const stored = await db.select({ id: events.id }).from(events).where(eq(events.tenantId, tenantId));
    const storedIds = new Set(stored.map((row) => row.id));
    for (const outcome of outcomes.filter((o) => o.status === 201))
      expect(storedIds.has(outcome.id ?? "")).toBe(true);
    const halves = await db.execute(sql`
      select
        (select count(*) from events e where e.tenant_id = ${tenantId}
           and not exists (select 1 from outbox o where o.tenant_id = e.tenant_id and o.value->>'id' = e.id)) as events_without_message,
        (select count(*) from outbox o where o.tenant_id = ${tenantId}
           and not exists (select 1 from events e where e.tenant_id = o.tenant_id and e.id = o.value->>'id')) as messages_without_event`);
    expect(halves.rows[0]).toEqual({ events_without_message: "0", messages_without_event: "0" });
    // Reads recover too.
    const first = outcomes.find((o) => o.status === 201)?.id ?? "";
    await expectStatus(await client.api.v1.events[":id"].$get({ param: { id: first } }), 200);
  }, 60_000);
});
