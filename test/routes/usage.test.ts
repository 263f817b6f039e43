// The usage route (src/routes/usage/get-usage.ts): the tenant's quota, requests in flight and the
// caller's rate limit, as the TenantGate counts them. Quota and in-flight refusals themselves are
// tested with admission (test/admission.test.ts); 401 and 403 in the security matrix.
import { describe, expect, it } from "vitest";
import { api, expectStatus } from "../client";
import { createReceiver, createTenant, recordEvent } from "../fixtures";

describe("get-usage", () => {
  it("reports the month's quota, the asking request in flight, and the caller's tier", async () => {
    const tenant = await createTenant({
      settings: { event_quota_per_month: 5, rate_limits: { authenticated: 1000, admin: 2000 } },
    });
    const receiver = await createReceiver(tenant);
    await recordEvent(tenant, receiver.id);
    await recordEvent(tenant, receiver.id);
    const usage = async (headers: Record<string, string>) =>
      (await expectStatus(await api(headers).api.v1.usage.$get(), 200)).data;

    // Quota is counted when each request ends (after the response): poll briefly.
    let report = await usage(tenant.reader.headers);
    for (let tries = 0; tries < 40 && report.quota.used < 2; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      report = await usage(tenant.reader.headers);
    }
    const now = new Date();
    expect(report.quota).toEqual({
      limit: 5,
      used: 2,
      period_end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    });
    expect(report.in_flight).toBeGreaterThanOrEqual(1);
    expect(report.rate_limit).toMatchObject({ tier: "authenticated", limit: 1000 });
    expect(report.rate_limit?.remaining).toBeLessThan(1000);
    expect((await usage(tenant.admin.headers)).rate_limit).toMatchObject({ tier: "admin", limit: 2000 });
  });

  it("shows no quota limit for an unlimited tenant", async () => {
    const tenant = await createTenant();
    const report = (await expectStatus(await api(tenant.reader.headers).api.v1.usage.$get(), 200)).data;
    expect(report.quota.limit).toBeNull();
  });
});
