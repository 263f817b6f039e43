// The TenantGate keeps its counters in its own SQLite storage: a restarted object (deploy, eviction,
// crash) goes on counting the month's quota and the rate-limit windows where it left off (rate-limit
// counts are saved within half a second). Only the in-flight count lives in memory and starts again
// from zero. In a file of its own: restarting
// every Durable Object of the runtime must not disturb other tests.
import { abortAllDurableObjects } from "cloudflare:test";
import { expect, it } from "vitest";
import { api, expectStatus } from "./client";
import { createReceiver, createTenant, postEvent } from "./fixtures";
import { expectError } from "./helpers";

it("keeps the month's quota and the rate-limit windows across a restart of the TenantGate", async () => {
  // The remaining counts below are exact only within one rate-limit minute.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((resolve) => setTimeout(resolve, left + 50));

  const tenant = await createTenant({ settings: { event_quota_per_month: 2 } });
  const receiver = await createReceiver(tenant);
  expect((await postEvent(tenant, receiver.id)).status).toBe(201);
  expect((await postEvent(tenant, receiver.id)).status).toBe(201);
  const usage = () => api(tenant.reader.headers).api.v1.usage.$get();
  const usageIn = async (response: Awaited<ReturnType<typeof usage>>) =>
    (await expectStatus(response, 200)).data;
  // Events count when their request ends (waitUntil).
  let before = await usage();
  for (
    let tries = 0;
    (await usageIn(before.clone() as typeof before)).quota.used < 2 && tries < 100;
    tries++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    before = await usage();
  }
  const remainingBefore = Number(before.headers.get("x-ratelimit-remaining"));
  expect((await usageIn(before)).quota).toMatchObject({ used: 2, limit: 2 });

  // Rate-limit counts are saved within 500 ms (WINDOW_SAVE_MS); the quota at once.
  await new Promise((resolve) => setTimeout(resolve, 700));
  await abortAllDurableObjects();

  const after = await usage();
  // The reader's window went on from where it was: one request more, not a fresh 100.
  expect(after.headers.get("x-ratelimit-limit")).toBe("100");
  expect(Number(after.headers.get("x-ratelimit-remaining"))).toBe(remainingBefore - 1);
  expect(await usageIn(after)).toMatchObject({ quota: { used: 2, limit: 2 }, in_flight: 1 });
  // The quota is still spent.
  await expectError(await postEvent(tenant, receiver.id), 429, "QUOTA_EXCEEDED");
});
