// The critical path's round trips (DESIGN.md "Round trips are the currency"), read from each
// response's Server-Timing (`db;count=…`, `gate;count=…`): the counts every request is designed
// around. A change that adds a query or a Durable Object call to one of these paths fails here.
// Each request is made once first, so that the isolate's caches (tenant settings, API key,
// receiver validator) and the gate's knowledge of the subject are warm, as in steady state.
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { webhookDeliveries } from "../src/db/schema";
import { api, expectStatus } from "./client";
import {
  createReceiver,
  createTenant,
  json,
  postEvent,
  recordEvent,
  type TenantFixture,
  withDb,
} from "./fixtures";
import { call } from "./helpers";

let tenant: TenantFixture;
let receiverId: string;
let groupedA: string;
let groupedB: string;

/** `{db, gate}` from a response's Server-Timing. */
function roundTrips(response: { headers: Headers }): { db: number; gate: number } {
  const header = response.headers.get("server-timing") ?? "";
  const count = (name: string) => {
    const metric = header.split(",").find((entry) => entry.trim().startsWith(`${name};`));
    const value = metric?.match(/;count=(\d+)/)?.[1];
    if (value === undefined) throw new Error(`no ${name} count in Server-Timing: "${header}"`);
    return Number(value);
  };
  return { db: count("db"), gate: count("gate") };
}

/** The second of two identical requests (the first warms the caches), with its expected status. */
async function warm<R extends { status: number; body: ReadableStream | null }>(
  status: number,
  request: () => Promise<R>,
): Promise<R> {
  const first = await request();
  expect(first.status).toBe(status);
  await first.body?.cancel();
  const second = await request();
  expect(second.status).toBe(status);
  return second;
}

const event = (receiver: string, overrides: Record<string, unknown> = {}) => ({
  name: "rt",
  version: "1.0.0",
  release: "1",
  platform_id: "linux-amd64",
  package: "rpm",
  description: "",
  payload: { size: 1 },
  success: true,
  event_receiver_id: receiver,
  ...overrides,
});

beforeAll(async () => {
  tenant = await createTenant();
  receiverId = (await createReceiver(tenant)).id;
  groupedA = (await createReceiver(tenant)).id;
  groupedB = (await createReceiver(tenant)).id;
  const group = await call(
    "/api/v1/groups",
    json(
      { name: `rt-${Date.now()}`, type: "rt", version: "1", event_receiver_ids: [groupedA, groupedB] },
      tenant.writer.headers,
    ),
  );
  expect(group.status).toBe(201);
});

describe("round trips on the critical path", () => {
  it("GET /health/live: none", async () => {
    expect(roundTrips(await warm(200, () => call("/health/live")))).toEqual({ db: 0, gate: 0 });
  });

  it("GET /api/v1/auth/me: one database query and one gate call, with a token or an API key", async () => {
    const me = (headers: Record<string, string>) => warm(200, () => call("/api/v1/auth/me", { headers }));
    expect(roundTrips(await me(tenant.reader.headers))).toEqual({ db: 1, gate: 1 });
    expect(roundTrips(await me(tenant.apiKey.headers))).toEqual({ db: 1, gate: 1 });
  });

  it("POST /api/v1/events: one database round trip and one gate call", async () => {
    const response = await warm(201, () => postEvent(tenant, receiverId));
    expect(roundTrips(response)).toEqual({ db: 1, gate: 1 });
  });

  it("POST /api/v1/events completing a group: still one round trip, the completion stored", async () => {
    await warm(201, () =>
      call("/api/v1/events", json(event(groupedA, { version: "0" }), tenant.writer.headers)),
    );
    await warm(201, () =>
      call("/api/v1/events", json(event(groupedB, { version: "0" }), tenant.writer.headers)),
    );
    // Both receivers are known to this isolate now; a new key completes with B's event.
    const a = await call("/api/v1/events", json(event(groupedA, { version: "2" }), tenant.writer.headers));
    expect(roundTrips(a)).toEqual({ db: 1, gate: 1 });
    const b = await call("/api/v1/events", json(event(groupedB, { version: "2" }), tenant.writer.headers));
    expect(b.status).toBe(201);
    expect(roundTrips(b)).toEqual({ db: 1, gate: 1 });
    const groups = api(tenant.reader.headers).api.v1.groups;
    const [group] = (await expectStatus(await groups.$get({ query: {} }), 200)).data;
    const completions = await expectStatus(
      await groups[":id"].completions.$get({ param: { id: group?.id ?? "" }, query: {} }),
      200,
    );
    expect(completions.data.filter((completion) => completion.version === "2")).toHaveLength(1);
  });

  it("POST /api/v1/events with a webhook subscribed: still one round trip, the delivery queued in it; its deliveries: one and one", async () => {
    const owner = await createTenant();
    const receiver = (await createReceiver(owner)).id;
    const hook = await call(
      "/api/v1/webhooks",
      json(
        { url: `${inject("stack").webhookReceiverUrl}/round-trips`, event_types: ["xzepr.event.created"] },
        owner.admin.headers,
      ),
    );
    expect(hook.status).toBe(201);
    const webhookId = ((await hook.json()) as { data: { id: string } }).data.id;
    const response = await warm(201, () => postEvent(owner, receiver));
    expect(roundTrips(response)).toEqual({ db: 1, gate: 1 });
    const eventId = ((await response.json()) as { data: { id: string } }).data.id;
    const queued = await withDb((db) =>
      db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.messageId, eventId))),
    );
    expect(queued).toHaveLength(1);
    const deliveries = await warm(200, () =>
      call(`/api/v1/webhooks/${webhookId}/deliveries`, { headers: owner.admin.headers }),
    );
    expect(roundTrips(deliveries)).toEqual({ db: 1, gate: 1 });
  });

  it("POST /api/v1/events with an Idempotency-Key: one more round trip, and a replay costs one", async () => {
    await warm(201, () => postEvent(tenant, receiverId));
    const post = (key: string) =>
      call("/api/v1/events", json(event(receiverId), { ...tenant.writer.headers, "idempotency-key": key }));
    const first = await post(`rt-${Date.now()}`);
    expect(first.status).toBe(201);
    expect(roundTrips(first)).toEqual({ db: 2, gate: 1 });
    const key = `rt-replay-${Date.now()}`;
    expect((await post(key)).status).toBe(201);
    const replay = await post(key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(roundTrips(replay)).toEqual({ db: 1, gate: 1 });
  });

  it("GET /api/v1/events/{id}: one and one", async () => {
    const created = { data: await recordEvent(tenant, receiverId) };
    const response = await warm(200, () =>
      call(`/api/v1/events/${created.data.id}`, { headers: tenant.reader.headers }),
    );
    expect(roundTrips(response)).toEqual({ db: 1, gate: 1 });
  });

  it("GET /api/v1/events?event_receiver_id=…: one and one", async () => {
    const response = await warm(200, () =>
      call(`/api/v1/events?event_receiver_id=${receiverId}&page_size=50`, { headers: tenant.reader.headers }),
    );
    expect(roundTrips(response)).toEqual({ db: 1, gate: 1 });
  });

  it("GraphQL: create_event and a page of events cost what their REST routes cost", async () => {
    const graphql = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) =>
      call("/api/v1/graphql", json({ query, variables }, headers));
    const create = await warm(200, () =>
      graphql(
        "mutation ($e: CreateEventInput!) { create_event(event: $e) }",
        { e: event(receiverId) },
        tenant.writer.headers,
      ),
    );
    expect(roundTrips(create)).toEqual({ db: 1, gate: 1 });
    const page = await warm(200, () =>
      graphql(
        "query ($r: ID) { eventsConnection(filter: {event_receiver_id: $r}, first: 50) { edges { node { id } } } }",
        { r: receiverId },
        tenant.reader.headers,
      ),
    );
    expect(roundTrips(page)).toEqual({ db: 1, gate: 1 });
  });

  it("a refused request costs no database round trip", async () => {
    const response = await warm(400, () =>
      call("/api/v1/events", json({ ...event(receiverId), payload: { size: "x" } }, tenant.writer.headers)),
    );
    expect(roundTrips(response)).toEqual({ db: 0, gate: 1 });
  });
});
