// Admission: rate limits per tier and route (on the TenantGate and on real Redis through the
// Upstash bridge), fallback when Redis dies, quota, in-flight cap, deny lists, headers.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app";
import { tenantUsage } from "../src/db/schema";
import { api, expectStatus } from "./client";
import { createReceiver, createTenant, json, postEvent, type TenantFixture, withDb } from "./fixtures";
import { call, callApp, expectError } from "./helpers";

const usage = (headers: Record<string, string>) => api(headers).api.v1.usage.$get();
const usageOf = async (headers: Record<string, string>) =>
  (await expectStatus(await usage(headers), 200)).data;

async function statuses(
  count: number,
  send: () => Promise<{ status: number }>,
  parallel = false,
): Promise<number[]> {
  if (parallel) return Promise.all(Array.from({ length: count }, () => send().then((r) => r.status)));
  const out: number[] = [];
  for (let index = 0; index < count; index++) out.push((await send()).status);
  return out;
}

/**
 * Sliding windows weigh the previous minute's count, rounded down, so a burst that straddles a
 * minute boundary may see one request more. Exact-count tests start well inside a minute.
 */
async function insideOneMinute(seconds = 15): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Polls until `check` holds: quota and in-flight slots are settled after the response (waitUntil). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function tally(codes: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

describe("rate limits on the TenantGate (no Redis configured)", () => {
  it("lets an authenticated principal make 100 requests a minute, then answers 429 with headers", async () => {
    await insideOneMinute();
    const tenant = await createTenant({ settings: {} });
    const first = await usage(tenant.reader.headers);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("100");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("99");
    expect(Number(first.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    const rest = await statuses(99, () => usage(tenant.reader.headers));
    expect(tally(rest)).toEqual({ 200: 99 });
    const refused = await usage(tenant.reader.headers);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    await expectError(refused, 429, "RATE_LIMITED");
    // Per principal: another principal of the tenant is not affected.
    expect((await usage(tenant.writer.headers)).status).toBe(200);
  });

  it("gives admins their tier, overridable per tenant", async () => {
    await insideOneMinute();
    const tenant = await createTenant({ settings: { rate_limits: { admin: 5, authenticated: 3 } } });
    expect(tally(await statuses(6, () => usage(tenant.admin.headers)))).toEqual({ 200: 5, 429: 1 });
    expect(tally(await statuses(4, () => usage(tenant.reader.headers)))).toEqual({ 200: 3, 429: 1 });
    const defaults = await createTenant({ settings: {} });
    expect((await usage(defaults.admin.headers)).headers.get("x-ratelimit-limit")).toBe("1000");
  });

  it("is exact under a parallel burst", async () => {
    await insideOneMinute();
    const tenant = await createTenant({ settings: { rate_limits: { authenticated: 10 } } });
    expect(tally(await statuses(30, () => usage(tenant.reader.headers), true))).toEqual({ 200: 10, 429: 20 });
  });

  it("limits anonymous callers to 10 a minute per IP, and never /health", async () => {
    await insideOneMinute();
    const ip = { "cf-connecting-ip": "203.0.113.10" };
    expect(tally(await statuses(11, () => call("/.well-known/jwks.json", { headers: ip })))).toEqual({
      200: 10,
      429: 1,
    });
    expect(
      (await call("/.well-known/jwks.json", { headers: { "cf-connecting-ip": "203.0.113.11" } })).status,
    ).toBe(200);
    const health = await statuses(15, () => call("/health/live", { headers: ip }));
    expect(tally(health)).toEqual({ 200: 15 });
    expect((await call("/health/live", { headers: ip })).headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("limits POST /api/v1/auth/token to 20 a minute per IP", async () => {
    await insideOneMinute();
    const ip = { "cf-connecting-ip": "203.0.113.20" };
    const attempt = () =>
      call("/api/v1/auth/token", json({ grant_type: "api_key", api_key: `xzepr_${"1".repeat(64)}` }, ip));
    expect(tally(await statuses(21, attempt))).toEqual({ 401: 20, 429: 1 });
  });
});

describe("RATE_LIMITS=off", () => {
  it("skips the rate-limit step only", async () => {
    await insideOneMinute();
    const tenant = await createTenant({
      settings: { rate_limits: { authenticated: 1 }, deny_ips: ["203.0.113.50"] },
    });
    const app = createApp();
    const off = (headers: Record<string, string>) =>
      callApp(app, "/api/v1/usage", { headers }, { RATE_LIMITS: "off" });
    const codes = await statuses(3, () => off(tenant.reader.headers));
    expect(tally(codes)).toEqual({ 200: 3 });
    expect((await off(tenant.reader.headers)).headers.get("x-ratelimit-limit")).toBeNull();
    await expectError(
      await off({ ...tenant.reader.headers, "cf-connecting-ip": "203.0.113.50" }),
      403,
      "FORBIDDEN",
    );
  });
});

describe("rate limits on Redis (Upstash REST over a real redis-server)", () => {
  const { upstashBindings, controlUrl } = inject("stack");
  const app = createApp();
  const metricsToken = "r".repeat(40);
  const redisBindings = {
    ...upstashBindings,
    RATE_LIMIT_BREAKER_OPEN_MS: "300",
    METRICS_NAMESPACE: `admission-${crypto.randomUUID()}`,
    METRICS_TOKEN: metricsToken,
  };
  const redisApp = (path: string, headers: Record<string, string>) =>
    callApp(app, path, { headers }, redisBindings);
  const upstashStats = async () =>
    (await (await fetch(`${controlUrl}/upstash/stats`)).json()) as { requests: number; commands: number };

  it("counts exactly, also under a parallel burst", async () => {
    await insideOneMinute();
    const tenant = await createTenant({ settings: { rate_limits: { authenticated: 7 } } });
    const first = await redisApp("/api/v1/usage", tenant.reader.headers);
    expect(first.headers.get("x-ratelimit-limit")).toBe("7");
    const before = await upstashStats();
    const burst = await statuses(20, () => redisApp("/api/v1/usage", tenant.reader.headers), true);
    const after = await upstashStats();
    expect(tally(burst)).toEqual({ 200: 6, 429: 14 });
    // Each call is a script run of its own in Redis; the gate sent the calls that arrived while
    // one was under way together, in fewer HTTP requests.
    expect(after.commands - before.commands).toBeGreaterThanOrEqual(20);
    expect(after.requests - before.requests).toBeLessThan(15);
    // Counted in Redis, not on the TenantGate: the Worker without Redis has counted nothing.
    expect((await usage(tenant.reader.headers)).headers.get("x-ratelimit-remaining")).toBe("6");
  });

  it("keeps limiting on the TenantGate with no 5xx while Redis is down, and goes back to Redis", async () => {
    await insideOneMinute();
    const tenant = await createTenant({ settings: { rate_limits: { authenticated: 5 } } });
    expect((await redisApp("/api/v1/usage", tenant.reader.headers)).status).toBe(200);
    expect((await fetch(`${controlUrl}/redis/stop`, { method: "POST" })).status).toBe(204);
    let down: number[];
    try {
      // The gate's own window starts empty: 5 more pass, then it refuses. Nothing fails, and the
      // calls that fail together in one batch are still counted one by one.
      down = await statuses(8, () => redisApp("/api/v1/usage", tenant.reader.headers), true);
    } finally {
      expect((await fetch(`${controlUrl}/redis/start`, { method: "POST" })).status).toBe(204);
    }
    expect(tally(down)).toEqual({ 200: 5, 429: 3 });
    await new Promise((resolve) => setTimeout(resolve, 400)); // the circuit half-opens
    // Exhaust another principal on the gate; Redis, back in charge, has counted none of it.
    const other = await tenant.actor("reader");
    expect(tally(await statuses(6, () => usage(other.headers)))).toEqual({ 200: 5, 429: 1 });
    const back = await redisApp("/api/v1/usage", other.headers);
    expect(back.status).toBe(200);
    expect(back.headers.get("x-ratelimit-remaining")).toBe("4");
    // Both switches are counted.
    const metrics = await (await redisApp("/metrics", { authorization: `Bearer ${metricsToken}` })).text();
    expect(metrics).toContain('xzepr_rate_limit_fallbacks_total{to="gate"} 1');
    expect(metrics).toContain('xzepr_rate_limit_fallbacks_total{to="redis"} 1');
  });
});

describe("quota, in-flight cap and deny lists", () => {
  it("refuses events past the monthly quota with 429 QUOTA_EXCEEDED; refused events use none", async () => {
    const tenant = await createTenant({
      settings: { event_quota_per_month: 3, rate_limits: { authenticated: 1000 } },
    });
    const receiver = await createReceiver(tenant);
    expect((await postEvent(tenant, receiver.id, { payload: { size: "not a number" } })).status).toBe(400);
    expect(tally(await statuses(3, () => postEvent(tenant, receiver.id)))).toEqual({ 201: 3 });
    // Quota is counted when each request ends (waitUntil).
    const used = async () => (await usageOf(tenant.reader.headers)).quota.used;
    await eventually(async () => (await used()) === 3);
    const refused = await postEvent(tenant, receiver.id);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectError(refused, 429, "QUOTA_EXCEEDED");
    const report = await usageOf(tenant.reader.headers);
    expect(report.quota).toMatchObject({ limit: 3, used: 3 });
    expect(new Date(report.quota.period_end).getUTCDate()).toBe(1);
  });

  it("weighs the previous minute and forgets older ones on the TenantGate's limiter", async () => {
    const gate = env.TENANT_GATE as DurableObjectNamespace<import("../src/durable/tenant-gate").TenantGate>;
    const stub = gate.get(gate.idFromName(`windows-${crypto.randomUUID()}`));
    const rateLimit = { key: "principal:p1", limit: 10, windowMs: 60_000, cost: 1 };
    const verdicts = async (count: number, now: number) => {
      const out: string[] = [];
      for (let index = 0; index < count; index++) out.push((await stub.admit({ now, rateLimit })).verdict);
      return tally(out.map((verdict) => (verdict === "admit" ? 200 : 429)));
    };
    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(await verdicts(11, start)).toEqual({ 200: 10, 429: 1 });
    // Half way through the next minute, half of the previous minute's 10 still count.
    expect(await verdicts(6, start + 90_000)).toEqual({ 200: 5, 429: 1 });
    // Two minutes on, nothing before the previous minute counts.
    expect(await verdicts(11, start + 180_000)).toEqual({ 200: 10, 429: 1 });
    expect(await verdicts(1, start + 180_000 + 1)).toEqual({ 429: 1 });
  });

  it("starts a new quota period at the end of the month", async () => {
    const gate = env.TENANT_GATE as DurableObjectNamespace<import("../src/durable/tenant-gate").TenantGate>;
    const tenant = await createTenant();
    const stub = gate.get(gate.idFromName(`rollover-${tenant.id}`));
    const november = Date.UTC(2026, 10, 30, 23, 59);
    const december = Date.UTC(2026, 11, 1, 0, 1);
    for (let index = 0; index < 2; index++) {
      expect(
        (await stub.admit({ now: november, quota: { limit: 2, cost: 1 }, maxInFlight: 10 })).verdict,
      ).toBe("admit");
      await stub.leave({ events: 1, now: november, tenantId: tenant.id });
    }
    expect((await stub.admit({ now: november, quota: { limit: 2, cost: 1 } })).verdict).toBe(
      "quota_exceeded",
    );
    expect(await stub.usage(december)).toMatchObject({ used: 0, periodEnd: Date.UTC(2027, 0, 1) });
    expect((await stub.admit({ now: december, quota: { limit: 2, cost: 1 } })).verdict).toBe("admit");
  });

  it("reports the month's events to tenant_usage from the gate's alarm, off the request path", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    expect(tally(await statuses(2, () => postEvent(tenant, receiver.id)))).toEqual({ 201: 2 });
    const gate = env.TENANT_GATE as DurableObjectNamespace<import("../src/durable/tenant-gate").TenantGate>;
    const stub = gate.get(gate.idFromName(tenant.id));
    const reported = () =>
      withDb((db) => db.select().from(tenantUsage).where(eq(tenantUsage.tenantId, tenant.id)));
    await eventually(async () => {
      await runDurableObjectAlarm(stub);
      return (await reported())[0]?.events === 2;
    });
    const [row] = await reported();
    const now = new Date();
    expect(row?.periodStart.getTime()).toBe(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  });

  it("answers 503 OVERLOADED past the in-flight cap, and releases every slot, failed requests too", async () => {
    const tenant = await createTenant({
      settings: { max_in_flight: 2, rate_limits: { authenticated: 1000 } },
    });
    const receiver = await createReceiver(tenant);
    const burst = await Promise.all(Array.from({ length: 12 }, () => postEvent(tenant, receiver.id)));
    const codes = tally(burst.map((response) => response.status));
    expect(codes[503]).toBeGreaterThan(0);
    expect((codes[201] ?? 0) + (codes[503] ?? 0)).toBe(12);
    const overloaded = burst.find((response) => response.status === 503);
    if (!overloaded) throw new Error("no request was refused");
    expect(overloaded.headers.get("retry-after")).toBe("1");
    await expectError(overloaded, 503, "OVERLOADED");
    // Failing requests (400) release their slots as well.
    await Promise.all(
      Array.from({ length: 4 }, () => postEvent(tenant, receiver.id, { payload: { size: "x" } })),
    );
    const inFlight = async () => (await usageOf(tenant.reader.headers)).in_flight;
    await eventually(async () => (await inFlight()) === 1); // only the asking request
  });

  it("answers 403 to a denied IP or principal before anything else", async () => {
    const base: TenantFixture = await createTenant();
    const tenant = await createTenant({
      settings: { deny_ips: ["203.0.113.99"], deny_principals: [base.writer.id] },
    });
    await expectError(
      await usage({ ...tenant.reader.headers, "cf-connecting-ip": "203.0.113.99" }),
      403,
      "FORBIDDEN",
    );
    expect((await usage({ ...tenant.reader.headers, "cf-connecting-ip": "203.0.113.98" })).status).toBe(200);
    const denied = await createTenant({ settings: {} });
    const patched = await call(`/api/v1/admin/tenants/${denied.id}`, {
      method: "PATCH",
      headers: { ...(await base.actor("platform_admin")).headers, "content-type": "application/json" },
      body: JSON.stringify({ settings: { deny_principals: [denied.writer.id] } }),
    });
    expect(patched.status).toBe(200);
    await expectError(await usage(denied.writer.headers), 403, "FORBIDDEN");
    expect((await usage(denied.reader.headers)).status).toBe(200);
  });
});
