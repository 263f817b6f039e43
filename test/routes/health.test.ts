import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app";
import { createTenant } from "../fixtures";
import { call, callApp, expectError } from "../helpers";

interface Readiness {
  status: string;
  checks: Record<string, { status: string; latency_ms: number; error?: string }>;
}

describe("GET /health/live", () => {
  it("answers ok", async () => {
    const response = await call("/health/live");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("GET /health/ready", () => {
  it("checks the real database and the Kafka endpoint", async () => {
    const response = await call("/health/ready");
    const body = (await response.json()) as Readiness;
    expect(response.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.checks.database).toMatchObject({ status: "ok", latency_ms: expect.any(Number) });
    expect(body.checks.kafka?.status).toBe("ok");
    expect(body.checks.redis?.status).toBe("not_configured");
  });

  it("is degraded, not down, when an optional dependency is unreachable", async () => {
    const response = await callApp(
      createApp(),
      "/health/ready",
      {},
      { KAFKA_REST_URL: "http://127.0.0.1:9" },
    );
    const body = (await response.json()) as Readiness;
    expect(response.status).toBe(200);
    expect(body.status).toBe("degraded");
    expect(body.checks.kafka?.status).toBe("down");
  });

  it("answers 503 within 3 s once the database stops, and 200 again when it is back", async () => {
    const { outageBindings, controlUrl } = inject("stack");
    const app = createApp();
    const tenant = await createTenant();
    const ready = async () => {
      const started = Date.now();
      const response = await callApp(app, "/health/ready", {}, outageBindings);
      return {
        status: response.status,
        body: (await response.json()) as Readiness,
        ms: Date.now() - started,
      };
    };
    expect((await ready()).status).toBe(200);

    expect((await fetch(`${controlUrl}/outage-db/stop`, { method: "POST" })).status).toBe(204);
    try {
      const down = await ready();
      expect(down.status).toBe(503);
      expect(down.body.status).toBe("down");
      expect(down.body.checks.database?.status).toBe("down");
      expect(down.body.checks.database?.error).not.toMatch(/127\.0\.0\.1|postgres:/);
      expect(down.ms).toBeLessThan(3_000);
      // An API request meanwhile: 503 DEPENDENCY_UNAVAILABLE with Retry-After, not a 500.
      const api = await callApp(app, "/api/v1/receivers", { headers: tenant.reader.headers }, outageBindings);
      expect(api.headers.get("retry-after")).toBe("5");
      await expectError(api, 503, "DEPENDENCY_UNAVAILABLE");
    } finally {
      expect((await fetch(`${controlUrl}/outage-db/start`, { method: "POST" })).status).toBe(204);
    }
    expect((await ready()).status).toBe(200);
  });
});
