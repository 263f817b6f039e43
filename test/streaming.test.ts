// The outbox to Kafka, against the local Kafka REST sink: delivery with the CloudEvent envelope,
// outages, per-record errors, the other producers, retention and a failing burst (the dead-letter
// queue's routes and CLI: test/routes/admin/dlq.test.ts).
// Each test breaks only its own tenant's deliveries (the sink fails by key prefix).
import { env } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { SinkRecord } from "../scripts/lib/kafka-sink";
import { openDatabase } from "../src/db/client";
import { deadLetters, events, outbox } from "../src/db/schema";
import { createEvent } from "../src/domain/events";
import { purgePublished } from "../src/domain/outbox";
import { loadConfig } from "../src/env";
import { answerOf, api, expectStatus } from "./client";
import {
  artifact,
  createReceiver,
  createTenant,
  postEvent,
  recordEvent,
  type TenantFixture,
  withDb,
} from "./fixtures";
import { call } from "./helpers";
import { drain, eventually, pendingRows, received, relay, sinkMode } from "./outbox";

/** Events through POST /events, one after another, spread over the receivers; their ids per receiver. */
async function postEvents(tenant: TenantFixture, receiverIds: string[], count: number) {
  const ids: string[][] = receiverIds.map(() => []);
  for (let index = 0; index < count; index++) {
    const slot = index % receiverIds.length;
    const event = await recordEvent(tenant, receiverIds[slot] as string, { payload: { size: index } });
    ids[slot]?.push(event.id);
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
    const event = (await expectStatus(answerOf(api().api.v1.events.$post, response), 201)).data;

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

  for (const [fault, mode] of [
    ["refuses the credentials (401)", { mode: "unauthorized" }],
    ["answers slower than the producer's timeout", { mode: "ok", delayMs: 300 }],
  ] as const) {
    it(`holds the outbox while Kafka ${fault}, then delivers everything once back, in per-key order`, async () => {
      const tenant = await createTenant();
      const receivers = [await createReceiver(tenant), await createReceiver(tenant)];
      const receiverIds = receivers.map((r) => r.id);
      await sinkMode(tenant, mode);
      const ids = await acceptEvents(tenant, receiverIds, 10);
      const impatient = { KAFKA_TIMEOUT_MS: "100", KAFKA_RETRIES: "0" };
      for (let round = 0; round < 6; round++) {
        await relay(impatient);
        await new Promise((resolve) => setTimeout(resolve, 120));
      }
      // Nothing is published as far as the outbox knows, and nothing is dead-lettered: a broker that
      // refuses or does not answer in time is down, not the messages wrong.
      const waiting = await pendingRows(tenant);
      expect(waiting).toHaveLength(10);
      expect(waiting.some((row) => /HTTP 401|timed out/.test(row.lastError ?? ""))).toBe(true);
      expect(
        await withDb((db) => db.select().from(deadLetters).where(eq(deadLetters.tenantId, tenant.id))),
      ).toEqual([]);

      await sinkMode(tenant, { mode: "ok" });
      await drain(tenant, impatient);
      // Lost: nothing. A slow broker may have kept a message the producer gave up on: delivered
      // again (at least once), in its key's order.
      const records = await received(tenant);
      expect(new Set(records.map((r) => (r.value as { id: string }).id))).toEqual(new Set(ids.flat()));
      expectPerKeyOrder(records, ids, receiverIds, tenant.id);
    });
  }

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
