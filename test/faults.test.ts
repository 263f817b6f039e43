// Dependencies failing under a request: each answers 503 DEPENDENCY_UNAVAILABLE with Retry-After,
// in the error envelope, never a 500; and nothing is half-written.
import { count, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app";
import { events } from "../src/db/schema";
import { apiOf } from "./client";
import { artifact, createReceiver, createTenant, withDb } from "./fixtures";
import { expectError } from "./helpers";

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
