// The outbox to Kafka, against the local Kafka REST sink: delivery with the CloudEvent envelope,
// outages, per-record errors, dead letters and their retry (API and CLI), and a failing burst.
// Each test breaks only its own tenant's deliveries (the sink fails by key prefix).
import { env, SELF } from "cloudflare:test";
import { and, eq, isNull, sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { runDlqCommand } from "../scripts/lib/dlq-client";
import type { SinkMode, SinkRecord } from "../scripts/lib/kafka-sink";
import { openDatabase } from "../src/db/client";
import { auditLogs, deadLetters, events, outbox } from "../src/db/schema";
import { createEvent } from "../src/domain/events";
import { purgePublished } from "../src/domain/outbox";
import { loadConfig } from "../src/env";
import { relayOutbox } from "../src/jobs/relay";
import { createLogger } from "../src/lib/logger";
import { Tracer } from "../src/lib/tracing";
import { artifact, createReceiver, createTenant, postEvent, type TenantFixture, withDb } from "./fixtures";
import { BASE, call } from "./helpers";

const { sinkUrl } = inject("stack");

async function sinkMode(tenant: TenantFixture, mode: Omit<SinkMode, "keyPrefix">): Promise<void> {
  await fetch(`${sinkUrl}/_sink/mode`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...mode, keyPrefix: `${tenant.id}:` }),
  });
}

async function received(tenant: TenantFixture): Promise<SinkRecord[]> {
  const response = await fetch(`${sinkUrl}/_sink/records?key_prefix=${tenant.id}:`);
  return (await response.json()) as SinkRecord[];
}

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const stopAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > stopAt) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pendingCount = async (tenant: TenantFixture) =>
  (
    await withDb((db) =>
      db.execute<{ n: number }>(
        sql`select count(*)::int as n from outbox where tenant_id = ${tenant.id} and published_at is null`,
      ),
    )
  ).rows[0]?.n ?? 0;

const pendingRows = (tenant: TenantFixture) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, tenant.id), isNull(outbox.publishedAt))),
  );

/** The cron relay, as `scheduled` runs it, with configuration overrides for the test. */
function relay(overrides: Record<string, string> = {}) {
  const bindings = { ...env, ...overrides };
  const config = loadConfig(bindings);
  return withDb((db) =>
    relayOutbox({ db, config, logger: createLogger("error"), tracer: new Tracer() }, { budgetMs: 20_000 }),
  );
}

/** Relays until the tenant has nothing pending (rows in backoff wait at most OUTBOX_BACKOFF_MAX_MS). */
async function drain(tenant: TenantFixture, overrides: Record<string, string> = {}, rounds = 400) {
  for (let round = 0; round < rounds; round++) {
    if ((await pendingCount(tenant)) === 0) return;
    await relay(overrides);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`outbox of ${tenant.id} not drained`);
}

/** Events through POST /events, one after another, spread over the receivers; their ids per receiver. */
async function postEvents(tenant: TenantFixture, receiverIds: string[], count: number) {
  const ids: string[][] = receiverIds.map(() => []);
  for (let index = 0; index < count; index++) {
    const slot = index % receiverIds.length;
    const response = await postEvent(tenant, receiverIds[slot] as string, { payload: { size: index } });
    expect(response.status).toBe(201);
    ids[slot]?.push(((await response.json()) as { data: { id: string } }).data.id);
  }
  return ids;
}

/** Events accepted one after another per receiver (so each key's order is known), receivers in parallel. */
async function acceptEvents(tenant: TenantFixture, receiverIds: string[], count: number) {
  const config = loadConfig(env);
  const principal = {
    id: tenant.writer.id,
    type: "principal" as const,
    tenantId: tenant.id,
    roles: ["writer"],
    auth: "jwt" as const,
  };
  const { db, transaction } = openDatabase(config);
  return Promise.all(
    receiverIds.map(async (receiverId, slot) => {
      const ids: string[] = [];
      for (let index = slot; index < count; index += receiverIds.length) {
        const ctx = {
          db,
          transaction,
          config,
          tenantId: tenant.id,
          principal,
          request: { id: `burst-${index}`, ip: undefined, userAgent: undefined },
          now: new Date(),
          requestId: `burst-${index}`,
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        };
        const input = {
          ...artifact(),
          description: "burst",
          payload: { size: index },
          success: true,
          event_receiver_id: receiverId,
        };
        ids.push((await createEvent(ctx, input, 12)).event.id);
      }
      return ids;
    }),
  );
}

/** Each key's events arrive in the order they were accepted; a duplicate repeats the same message. */
function expectPerKeyOrder(
  records: SinkRecord[],
  idsByReceiver: string[][],
  receiverIds: string[],
  tenantId: string,
) {
  const firstSeen = new Map<string, SinkRecord>();
  for (const record of records) {
    const id = (record.value as { id: string }).id;
    const first = firstSeen.get(id);
    if (first) expect(record.value).toEqual(first.value);
    else firstSeen.set(id, record);
  }
  receiverIds.forEach((receiverId, slot) => {
    const arrived = [...firstSeen.values()]
      .filter((record) => record.key === `${tenantId}:${receiverId}`)
      .map((record) => (record.value as { id: string }).id);
    expect(arrived).toEqual(idsByReceiver[slot]);
  });
}

describe("publishing the outbox to Kafka", () => {
  it("puts an accepted event on Kafka as a CloudEvent, keyed per receiver, with trace, request and tenant headers", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await call("/api/v1/events", {
      method: "POST",
      headers: {
        ...tenant.writer.headers,
        "content-type": "application/json",
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        "x-request-id": "stream-test-1",
      },
      body: JSON.stringify({
        name: "foo",
        version: "1.4.2",
        release: "1",
        platform_id: "linux-amd64",
        package: "rpm",
        description: "passed integration tests",
        payload: { size: 3 },
        success: true,
        event_receiver_id: receiver.id,
      }),
    });
    expect(response.status).toBe(201);
    const event = ((await response.json()) as { data: { id: string } }).data;

    const [record] = await eventually(
      () => received(tenant),
      (records) => records.length > 0,
    );
    expect(record?.key).toBe(`${tenant.id}:${receiver.id}`);
    expect(record?.value).toMatchObject({
      specversion: "1.0",
      id: event.id,
      source: `xzepr/${tenant.id}/receivers/${receiver.id}`,
      type: "xzepr.event.created",
      subject: "foo@1.4.2",
      datacontenttype: "application/json",
      dataschemaversion: 1,
      data: { id: event.id, success: true, payload: { size: 3 } },
    });
    expect(record?.headers).toEqual({
      traceparent: expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)),
      "x-request-id": "stream-test-1",
      "x-tenant-id": tenant.id,
      "content-type": "application/cloudevents+json; charset=utf-8",
    });

    const [row] = await eventually(
      () => withDb((db) => db.select().from(outbox).where(eq(outbox.tenantId, tenant.id))),
      (rows) => rows[0]?.publishedAt != null,
    );
    expect(row).toMatchObject({ attempts: 0, partition: 0, offset: record?.offset, leaseOwner: null });
  });

  it("keeps every message through a Kafka outage and delivers all of them afterwards, in per-key order", async () => {
    const tenant = await createTenant();
    const receivers = [await createReceiver(tenant), await createReceiver(tenant)];
    await sinkMode(tenant, { mode: "fail" });
    const ids = await postEvents(
      tenant,
      receivers.map((r) => r.id),
      30,
    );
    // Far more tries than OUTBOX_MAX_ATTEMPTS: an unreachable endpoint dead-letters nothing.
    for (let round = 0; round < 15; round++) {
      await relay();
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    expect(await received(tenant)).toEqual([]);
    const waiting = await pendingRows(tenant);
    expect(waiting).toHaveLength(30);
    expect(waiting.every((row) => row.attempts === 0)).toBe(true);
    expect(waiting.some((row) => /HTTP 503/.test(row.lastError ?? ""))).toBe(true);
    expect(
      await withDb((db) => db.select().from(deadLetters).where(eq(deadLetters.tenantId, tenant.id))),
    ).toEqual([]);

    await sinkMode(tenant, { mode: "ok" });
    await drain(tenant);
    const records = await received(tenant);
    expect(new Set(records.map((r) => (r.value as { id: string }).id))).toEqual(new Set(ids.flat()));
    expectPerKeyOrder(
      records,
      ids,
      receivers.map((r) => r.id),
      tenant.id,
    );
  });

  it("treats a per-record error inside HTTP 200 as a failure, and retries it", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    await sinkMode(tenant, { mode: "record-error" });
    expect((await postEvent(tenant, receiver.id)).status).toBe(201);
    const [row] = await eventually(
      () => pendingRows(tenant),
      (rows) => (rows[0]?.attempts ?? 0) > 0,
    );
    expect(row?.lastError).toMatch(/error_code 40403/);
    expect(row?.publishedAt).toBeNull();
    expect(await received(tenant)).toEqual([]);

    await sinkMode(tenant, { mode: "ok" });
    await drain(tenant);
    expect(await received(tenant)).toHaveLength(1);
  });

  it("dead-letters a message the broker refuses every time, and delivers it after a retry from the API or the CLI", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    await sinkMode(tenant, { mode: "record-error" });
    for (let i = 0; i < 2; i++) expect((await postEvent(tenant, receiver.id)).status).toBe(201);
    const limits = { OUTBOX_MAX_ATTEMPTS: "3" };
    for (let round = 0; round < 200 && (await pendingRows(tenant)).length > 0; round++) {
      await relay(limits);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await pendingRows(tenant)).toEqual([]);

    const listed = await call("/api/v1/admin/dlq", { headers: tenant.admin.headers });
    expect(listed.status).toBe(200);
    const letters = (
      (await listed.json()) as { data: { id: string; key: string; attempts: number; last_error: string }[] }
    ).data;
    expect(letters).toHaveLength(2);
    for (const letter of letters) {
      expect(letter).toMatchObject({ key: `${tenant.id}:${receiver.id}`, attempts: 3 });
      expect(letter.last_error).toMatch(/error_code 40403/);
    }
    // Another tenant's admin sees none of them, and cannot retry them.
    const other = await createTenant();
    expect(
      ((await (await call("/api/v1/admin/dlq", { headers: other.admin.headers })).json()) as { data: [] })
        .data,
    ).toEqual([]);
    expect(
      (
        await call(`/api/v1/admin/dlq/${letters[0]?.id}/retry`, {
          method: "POST",
          headers: other.admin.headers,
        })
      ).status,
    ).toBe(404);

    await sinkMode(tenant, { mode: "ok" });
    const viaApi = letters[0] as { id: string };
    const viaCli = letters[1] as { id: string };
    const retried = await call(`/api/v1/admin/dlq/${viaApi.id}/retry`, {
      method: "POST",
      headers: tenant.admin.headers,
    });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toEqual({ data: { requeued: 1 } });

    const printed: string[] = [];
    const cli = (args: string[]) =>
      runDlqCommand(args, {
        url: BASE,
        headers: { ...tenant.apiKey.headers, "cf-connecting-ip": "198.51.100.7" },
        fetch: (input, init) => SELF.fetch(input, init),
        print: (line) => printed.push(line),
      });
    expect(await cli(["list"])).toBe(0);
    expect(printed.join("\n")).toContain(viaCli.id);
    expect(await cli(["retry", viaCli.id])).toBe(0);
    expect(printed.at(-1)).toBe("requeued 1 message(s)");
    expect(await cli(["retry", viaCli.id])).toBe(1); // gone from the queue now
    expect(await cli(["retry"])).toBe(2);

    const delivered = await eventually(
      () => received(tenant),
      (records) => records.length === 2,
    );
    expect(delivered).toHaveLength(2);
    expect(
      await withDb((db) => db.select().from(deadLetters).where(eq(deadLetters.tenantId, tenant.id))),
    ).toEqual([]);

    const audit = await withDb((db) =>
      db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.tenantId, tenant.id), eq(auditLogs.action, "dlq.retry"))),
    );
    expect(audit.map((entry) => entry.resourceId).sort()).toEqual([viaApi.id, viaCli.id].sort());
    expect(audit.find((entry) => entry.resourceId === viaCli.id)).toMatchObject({
      actorType: "api_key",
      actorId: tenant.apiKey.id,
      outcome: "success",
      ip: "198.51.100.0",
    });
  });

  it("retries all dead letters at once and discards one, both audited", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    await sinkMode(tenant, { mode: "record-error" });
    for (let i = 0; i < 3; i++) expect((await postEvent(tenant, receiver.id)).status).toBe(201);
    for (let round = 0; round < 200 && (await pendingRows(tenant)).length > 0; round++) {
      await relay({ OUTBOX_MAX_ATTEMPTS: "1" });
    }
    const letters = await withDb((db) =>
      db.select().from(deadLetters).where(eq(deadLetters.tenantId, tenant.id)),
    );
    expect(letters).toHaveLength(3);

    const discarded = await call(`/api/v1/admin/dlq/${letters[0]?.id}`, {
      method: "DELETE",
      headers: tenant.admin.headers,
    });
    expect(discarded.status).toBe(204);
    expect(
      (await call(`/api/v1/admin/dlq/${letters[0]?.id}`, { method: "DELETE", headers: tenant.admin.headers }))
        .status,
    ).toBe(404);

    await sinkMode(tenant, { mode: "ok" });
    const all = await call("/api/v1/admin/dlq/retry-all", { method: "POST", headers: tenant.admin.headers });
    expect(all.status).toBe(202);
    expect(await all.json()).toEqual({ data: { requeued: 2 } });
    await eventually(
      () => received(tenant),
      (records) => records.length === 2,
    );
    const actions = await withDb((db) =>
      db
        .select({ action: auditLogs.action, resourceId: auditLogs.resourceId })
        .from(auditLogs)
        .where(and(eq(auditLogs.tenantId, tenant.id), sql`${auditLogs.action} like 'dlq.%'`)),
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: "dlq.discard", resourceId: letters[0]?.id },
        { action: "dlq.retry_all", resourceId: null },
      ]),
    );
    expect(actions).toHaveLength(2); // the refused second discard wrote nothing
  });

  for (const [producer, dialect, headers] of [
    ["rest-v2", "v2", false],
    ["upstash", "upstash", true],
  ] as const) {
    it(`publishes through the ${producer} producer too`, async () => {
      const tenant = await createTenant();
      const receiver = await createReceiver(tenant);
      // Held back from the Worker's own publishing (v3), then relayed by this producer.
      await sinkMode(tenant, { mode: "fail" });
      expect((await postEvent(tenant, receiver.id)).status).toBe(201);
      await eventually(
        () => pendingRows(tenant),
        (rows) => rows[0]?.lastError != null && rows[0]?.leaseOwner == null,
      );
      const hold = (until: Date) =>
        withDb((db) => db.update(outbox).set({ nextAttemptAt: until }).where(eq(outbox.tenantId, tenant.id)));
      await hold(new Date(Date.now() + 3_600_000));
      await sinkMode(tenant, { mode: "ok" });
      await hold(new Date());
      await drain(tenant, { KAFKA_PRODUCER: producer, KAFKA_USERNAME: "u", KAFKA_PASSWORD: "p" });
      const [record] = await received(tenant);
      expect(record?.dialect).toBe(dialect);
      expect(record?.key).toBe(`${tenant.id}:${receiver.id}`);
      expect(record?.value).toMatchObject({ specversion: "1.0", type: "xzepr.event.created" });
      expect(Object.keys(record?.headers ?? {}).length > 0).toBe(headers);
    });
  }

  it("purges published rows past their retention, and nothing else", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    await postEvent(tenant, receiver.id);
    await postEvent(tenant, receiver.id);
    await eventually(
      () => pendingRows(tenant),
      (rows) => rows.length === 0,
    );
    const [old] = await withDb((db) =>
      db.select().from(outbox).where(eq(outbox.tenantId, tenant.id)).limit(1),
    );
    await withDb((db) =>
      db
        .update(outbox)
        .set({ publishedAt: new Date("2000-01-01T00:00:00Z") })
        .where(eq(outbox.id, old?.id ?? "")),
    );
    await withDb((db) => purgePublished(db, loadConfig(env), new Date()));
    const left = await withDb((db) => db.select().from(outbox).where(eq(outbox.tenantId, tenant.id)));
    expect(left.map((row) => row.id)).not.toContain(old?.id);
    expect(left).toHaveLength(1);
  });

  it("delivers a burst of 5,000 events while the sink fails half the time: all of them, and the outbox empty", async () => {
    const tenant = await createTenant();
    const receivers = await Promise.all(Array.from({ length: 8 }, () => createReceiver(tenant)));
    await sinkMode(tenant, { mode: "fail", failRatio: 0.5 });
    // Accepted through the service that POST /events runs (validation, event and outbox row in
    // one transaction): HTTP ingestion has its own tests and bench; this one is about delivery.
    const ids = await acceptEvents(
      tenant,
      receivers.map((r) => r.id),
      5_000,
    );
    await drain(tenant, {}, 4_000);
    await sinkMode(tenant, { mode: "ok" });

    const records = await received(tenant);
    const delivered = new Set(records.map((record) => (record.value as { id: string }).id));
    expect(delivered.size).toBe(5_000);
    expect(delivered).toEqual(new Set(ids.flat()));
    expectPerKeyOrder(
      records,
      ids,
      receivers.map((r) => r.id),
      tenant.id,
    );
    const [counts] = await withDb((db) =>
      db
        .select({
          events: sql<number>`(select count(*)::int from ${events} where tenant_id = ${tenant.id})`,
          pending: sql<number>`(select count(*)::int from ${outbox} where tenant_id = ${tenant.id} and published_at is null)`,
          dead: sql<number>`(select count(*)::int from ${deadLetters} where tenant_id = ${tenant.id})`,
        })
        .from(sql`(select 1) as one`),
    );
    expect(counts).toEqual({ events: 5_000, pending: 0, dead: 0 });
  }, 300_000);
});
