import { eq } from "drizzle-orm";
import { ulid } from "ulidx";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app";
import { outbox } from "../../src/db/schema";
import { api, apiOf, expectStatus } from "../client";
import { createTenant, withDb } from "../fixtures";
import { call, expectError } from "../helpers";

describe("live: GET /health/live", () => {
  it("answers ok", async () => {
    const response = await call("/health/live");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("ready: GET /health/ready", () => {
  it("checks the real database and the Kafka endpoint", async () => {
    const body = await expectStatus(await api().health.ready.$get(), 200);
    expect(body.status).toBe("ok");
    expect(body.checks.database).toMatchObject({ status: "ok", latency_ms: expect.any(Number) });
    expect(body.checks.kafka?.status).toBe("ok");
    expect(body.checks.redis?.status).toBe("not_configured");
  });

  it("is degraded, not down, when an optional dependency is unreachable", async () => {
    const client = apiOf(createApp(), { KAFKA_REST_URL: "http://127.0.0.1:9" });
    const body = await expectStatus(await client.health.ready.$get(), 200);
    expect(body.status).toBe("degraded");
    expect(body.checks.kafka?.status).toBe("down");
  });

  it("reads a wrong cluster id as Kafka down, and says degraded", async () => {
    const body = await expectStatus(
      await apiOf(createApp(), { KAFKA_CLUSTER_ID: "not-this-cluster" }).health.ready.$get(),
      200,
    );
    expect(body.status).toBe("degraded");
    expect(body.checks.kafka?.status).toBe("down");
  });

  it("reads credentials Kafka refuses (401) as Kafka down, and says degraded", async () => {
    const { sinkUrl } = inject("stack");
    const mode = (body: unknown) =>
      fetch(`${sinkUrl}/_sink/mode`, { method: "PUT", body: JSON.stringify(body) }).then((r) => r.status);
    expect(await mode({ mode: "unauthorized" })).toBe(200);
    try {
      const body = await expectStatus(await api().health.ready.$get(), 200);
      expect(body.status).toBe("degraded");
      expect(body.checks.kafka?.status).toBe("down");
    } finally {
      expect(await mode({ mode: "ok" })).toBe(200);
    }
  });

  it("says degraded while the oldest unpublished outbox message is older than the threshold", async () => {
    const tenant = await createTenant();
    const id = ulid();
    await withDb((db) =>
      db.insert(outbox).values({
        id,
        tenantId: tenant.id,
        topic: "xzepr.events",
        key: `${tenant.id}:lagging`,
        value: { id },
        headers: {},
        createdAt: new Date(Date.now() - 3_600_000),
        // Due far ahead: no relay of the suite takes it meanwhile.
        nextAttemptAt: new Date(Date.now() + 3_600_000),
      }),
    );
    try {
      const ready = (threshold: string) =>
        apiOf(createApp(), { OUTBOX_LAG_DEGRADED_SECONDS: threshold }).health.ready.$get();
      const lagging = await expectStatus(await ready("600"), 200);
      expect(lagging.status).toBe("degraded");
      expect(lagging.checks.outbox?.status).toBe("down");
      expect((await expectStatus(await ready("86400"), 200)).checks.outbox?.status).toBe("ok");
    } finally {
      await withDb((db) => db.delete(outbox).where(eq(outbox.id, id)));
    }
  });

  it("answers 503 within 3 s once the database stops, and 200 again when it is back", async () => {
    const { outageBindings, controlUrl } = inject("stack");
    const app = createApp();
    const tenant = await createTenant();
    const ready = async () => {
      const started = Date.now();
      const response = await apiOf(app, outageBindings).health.ready.$get();
      return { response, ms: Date.now() - started };
    };
    expect((await ready()).response.status).toBe(200);

    expect((await fetch(`${controlUrl}/outage-db/stop`, { method: "POST" })).status).toBe(204);
    try {
      const down = await ready();
      const body = await expectStatus(down.response, 503);
      expect(body.status).toBe("down");
      expect(body.checks.database?.status).toBe("down");
      expect(body.checks.database?.error).not.toMatch(/127\.0\.0\.1|postgres:/);
      expect(down.ms).toBeLessThan(3_000);
      // An API request meanwhile: 503 DEPENDENCY_UNAVAILABLE with Retry-After, not a 500.
      const refused = await apiOf(app, outageBindings, tenant.reader.headers).api.v1.receivers.$get({
        query: {},
      });
      expect(refused.headers.get("retry-after")).toBe("5");
      await expectError(refused, 503, "DEPENDENCY_UNAVAILABLE");
    } finally {
      expect((await fetch(`${controlUrl}/outage-db/start`, { method: "POST" })).status).toBe(204);
    }
    expect((await ready()).response.status).toBe(200);
  });
});
