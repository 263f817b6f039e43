// GET /metrics after a known sequence of requests shows exactly those counts, summed over the
// MetricsHub shards that the requests' increments were spread across.
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app";
import { apiOf, expectStatus } from "../client";
import { artifact, createReceiver, createTenant, json, receiverBody } from "../fixtures";
import { callApp, expectError } from "../helpers";

const TOKEN = "m".repeat(40);

/** One artifact's event for the receiver (whose default schema needs a numeric `size`). */
const eventFor = (receiverId: string) => ({
  ...artifact(),
  payload: { size: 1 },
  success: true,
  event_receiver_id: receiverId,
});

function seriesValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("get-metrics: GET /metrics", () => {
  it("counts requests by route template, auth failures, rejections, events and completions exactly", async () => {
    const app = createApp();
    const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: TOKEN };
    const send = (path: string, init: RequestInit = {}) => callApp(app, path, init, bindings);
    const tenant = await createTenant();
    const limited = await createTenant({ settings: { rate_limits: { authenticated: 1 } } });
    const [a, b] = [await createReceiver(tenant), await createReceiver(tenant)];
    const group = await send(
      "/api/v1/groups",
      json(
        { name: "g", type: "release", version: "1", event_receiver_ids: [a.id, b.id] },
        tenant.writer.headers,
      ),
    );
    expect(group.status).toBe(201);

    for (let index = 0; index < 3; index++) expect((await send("/health/live")).status).toBe(200);
    await send("/no/such/path/01J00000000000000000000000");
    await send("/api/v1/auth/me");
    await send("/api/v1/auth/me", { headers: { authorization: "Bearer nonsense" } });
    for (const receiver of [a, b]) {
      expect((await send("/api/v1/events", json(eventFor(receiver.id), tenant.writer.headers))).status).toBe(
        201,
      );
    }
    await send("/api/v1/usage", { headers: limited.reader.headers });
    expect((await send("/api/v1/usage", { headers: limited.reader.headers })).status).toBe(429);

    const response = await send("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(
      seriesValue(text, 'xzepr_http_requests_total{method="GET",route="/health/live",status="200"}'),
    ).toBe(3);
    expect(
      seriesValue(text, 'xzepr_http_requests_total{method="GET",route="(unmatched)",status="404"}'),
    ).toBe(1);
    expect(
      seriesValue(text, 'xzepr_http_requests_total{method="POST",route="/api/v1/events",status="201"}'),
    ).toBe(2);
    expect(
      seriesValue(text, 'xzepr_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"}'),
    ).toBe(2);
    expect(text).not.toContain("01J00000000000000000000000");
    expect(
      seriesValue(text, 'xzepr_http_request_duration_seconds_count{method="GET",route="/health/live"}'),
    ).toBe(3);
    expect(
      seriesValue(
        text,
        'xzepr_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health/live"}',
      ),
    ).toBe(3);
    expect(seriesValue(text, 'xzepr_auth_failures_total{reason="no_credentials"}')).toBe(1);
    expect(seriesValue(text, 'xzepr_auth_failures_total{reason="malformed"}')).toBe(1);
    expect(seriesValue(text, 'xzepr_rate_limit_rejections_total{tier="authenticated"}')).toBe(1);
    expect(seriesValue(text, "xzepr_events_ingested_total")).toBe(2);
    expect(seriesValue(text, "xzepr_group_completions_total")).toBe(1);
    expect(text).toContain("# TYPE xzepr_http_request_duration_seconds histogram");
  });

  it("needs the metrics token or metrics:read", async () => {
    const app = createApp();
    const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: TOKEN };
    const tenant = await createTenant();
    const send = (headers: Record<string, string>) => callApp(app, "/metrics", { headers }, bindings);
    await expectError(await send({}), 401, "UNAUTHENTICATED");
    await expectError(await send({ authorization: `Bearer ${"x".repeat(40)}` }), 401, "UNAUTHENTICATED");
    await expectError(await send(tenant.reader.headers), 403, "FORBIDDEN");
    expect((await send(tenant.admin.headers)).status).toBe(200);
    expect((await send({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it("counts quota and in-flight refusals by reason", async () => {
    const app = createApp();
    const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: TOKEN };
    const send = (path: string, init: RequestInit = {}) => callApp(app, path, init, bindings);
    const tenant = await createTenant({
      settings: { event_quota_per_month: 1, max_in_flight: 1, rate_limits: { authenticated: 1000 } },
    });
    // callApp waits for each request's after-response work, so every slot is free before the next
    // request and the event is counted before the next one (a plain fetch returns before that).
    const created = await apiOf(app, bindings, tenant.writer.headers).api.v1.receivers.$post({
      json: receiverBody(),
    });
    const receiver = (await expectStatus(created, 201)).data;
    const event = eventFor(receiver.id);
    expect((await send("/api/v1/events", json(event, tenant.writer.headers))).status).toBe(201);
    await expectError(
      await send("/api/v1/events", json(event, tenant.writer.headers)),
      429,
      "QUOTA_EXCEEDED",
    );
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => send("/api/v1/usage", { headers: tenant.reader.headers })),
    );
    const overloaded = burst.filter((response) => response.status === 503).length;
    expect(overloaded).toBeGreaterThan(0);

    const text = await (await send("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(seriesValue(text, 'xzepr_admission_rejections_total{reason="quota_exceeded"}')).toBe(1);
    expect(seriesValue(text, 'xzepr_admission_rejections_total{reason="overloaded"}')).toBe(overloaded);
  });

  it("limits scrapers per IP at 120 a minute, not at the anonymous 10", async () => {
    const app = createApp();
    const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: TOKEN };
    const headers = {
      authorization: `Bearer ${TOKEN}`,
      "cf-connecting-ip": `scraper-${crypto.randomUUID()}`,
    };
    for (let scrape = 1; scrape <= 12; scrape++) {
      const response = await callApp(app, "/metrics", { headers }, bindings);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-ratelimit-limit")).toBe("120");
      expect(response.headers.get("x-ratelimit-remaining")).toBe(String(120 - scrape));
    }
  });

  it("prints every histogram bucket, the empty ones too, in ascending order with +Inf last", async () => {
    const app = createApp();
    const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: TOKEN };
    expect((await callApp(app, "/health/live", {}, bindings)).status).toBe(200);
    const text = await (
      await callApp(app, "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }, bindings)
    ).text();

    const lines = text
      .split("\n")
      .filter(
        (line) =>
          line.startsWith("xzepr_http_request_duration_seconds") && line.includes('route="/health/live"'),
      );
    const buckets = lines.filter((line) => line.includes("_bucket{"));
    const bounds = buckets.map((line) => /le="([^"]*)"/.exec(line)?.[1]);
    expect(bounds).toEqual([
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "5",
      "10",
      "+Inf",
    ]);
    const counts = buckets.map((line) => Number(line.split(" ").at(-1)));
    expect(counts).toEqual([...counts].sort((x, y) => x - y)); // cumulative
    expect(counts.at(-1)).toBe(1);
    expect(lines.at(-2)).toMatch(/_sum\{/);
    expect(lines.at(-1)).toMatch(/_count\{.* 1$/);
  });

  it("keeps the last outbox gauges, with dependency_up 0, while the database is down", async () => {
    const { outageBindings, controlUrl } = inject("stack");
    const app = createApp();
    const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: TOKEN };
    const scrape = async (extra: Record<string, unknown> = {}) =>
      (
        await callApp(
          app,
          "/metrics",
          { headers: { authorization: `Bearer ${TOKEN}` } },
          { ...bindings, ...extra },
        )
      ).text();
    const before = await scrape();
    const lag = seriesValue(before, "xzepr_outbox_lag_seconds");
    const dlq = seriesValue(before, "xzepr_dlq_size");
    expect(lag).toEqual(expect.any(Number));
    expect((await fetch(`${controlUrl}/outage-db/stop`, { method: "POST" })).status).toBe(204);
    try {
      const during = await scrape(outageBindings);
      expect(seriesValue(during, 'xzepr_dependency_up{dependency="database"}')).toBe(0);
      expect(seriesValue(during, "xzepr_outbox_lag_seconds")).toEqual(expect.any(Number));
      expect(seriesValue(during, "xzepr_dlq_size")).toBe(dlq);
    } finally {
      expect((await fetch(`${controlUrl}/outage-db/start`, { method: "POST" })).status).toBe(204);
    }
  });
});
