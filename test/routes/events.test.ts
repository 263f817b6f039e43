// The events routes (src/routes/events/): create-event, get-event, list-events and its pages.
import { eq } from "drizzle-orm";
import { monotonicFactory, ulid } from "ulidx";
import { beforeAll, describe, expect, it } from "vitest";
import { events, outbox } from "../../src/db/schema";
import { api, expectStatus } from "../client";
import {
  artifact,
  createReceiver,
  createTenant,
  json,
  postEvent,
  recordEvent,
  type TenantFixture,
  withDb,
} from "../fixtures";
import { call, expectError } from "../helpers";

let tenant: TenantFixture;
let receiver: { id: string };
beforeAll(async () => {
  tenant = await createTenant();
  receiver = await createReceiver(tenant);
});

describe("create-event: POST /api/v1/events", () => {
  it("stores the event with its author and request id, and its CloudEvent in the outbox", async () => {
    const response = await api({
      ...tenant.writer.headers,
      "x-request-id": "req-evt-1",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }).api.v1.events.$post({
      json: {
        ...artifact(),
        description: "d",
        payload: { size: 3 },
        success: true,
        event_receiver_id: receiver.id,
      },
    });
    const { data } = await expectStatus(response, 201);
    expect(data).toMatchObject({
      ...artifact(),
      payload: { size: 3 },
      success: true,
      created_by: tenant.writer.id,
      request_id: "req-evt-1",
    });

    const [message] = await withDb((db) => db.select().from(outbox).where(eq(outbox.tenantId, tenant.id)));
    expect(message?.key).toBe(`${tenant.id}:${receiver.id}`);
    expect(message?.value).toMatchObject({
      specversion: "1.0",
      id: data.id,
      type: "xzepr.event.created",
      source: `xzepr/${tenant.id}/receivers/${receiver.id}`,
      datacontenttype: "application/json",
      dataschemaversion: 1,
      data: { id: data.id, success: true },
    });
    expect(message?.headers).toMatchObject({
      traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
      "x-request-id": "req-evt-1",
      "x-tenant-id": tenant.id,
    });
  });

  it("answers 400 with one detail per payload violation", async () => {
    const response = await postEvent(tenant, receiver.id, { payload: { size: "big", tag: 5 } });
    const error = await expectError(response, 400, "VALIDATION_FAILED");
    expect(error.details?.map((detail) => detail.path).sort()).toEqual(["payload.size", "payload.tag"]);
  });

  it("answers 404 for an unknown receiver and another tenant's receiver", async () => {
    await expectError(await postEvent(tenant, ulid()), 404, "NOT_FOUND");
    const other = await createTenant();
    const foreign = await createReceiver(other);
    await expectError(await postEvent(tenant, foreign.id), 404, "NOT_FOUND");
  });

  it("answers 404 for a receiver deleted after this isolate cached it", async () => {
    const doomed = await createReceiver(tenant);
    // An invalid payload: the receiver is read (and cached with its validator), nothing is stored.
    await expectError(
      await postEvent(tenant, doomed.id, { payload: { size: "x" } }),
      400,
      "VALIDATION_FAILED",
    );
    const deleted = await call(`/api/v1/receivers/${doomed.id}`, {
      method: "DELETE",
      headers: tenant.writer.headers,
    });
    expect(deleted.status).toBe(204);
    // The write itself refuses it (the ingest function checks the receiver in its transaction).
    await expectError(await postEvent(tenant, doomed.id), 404, "NOT_FOUND");
    await expectError(await postEvent(tenant, doomed.id), 404, "NOT_FOUND");
  });

  it("measures the payload as sent: whitespace counts toward 256 KiB", async () => {
    const loose = await createReceiver(tenant, { schema: { type: "object" } });
    const payload = { list: Array.from({ length: 2_000 }, (_, index) => index) };
    // About 10 KiB compact, over 256 KiB with the padding the client sent.
    const padded = JSON.stringify(payload).replace(/,/g, `,${" ".repeat(140)}`);
    const body = `{"name":"foo","version":"1","release":"1","platform_id":"x","package":"p","success":true,"event_receiver_id":"${loose.id}","payload":${padded}}`;
    const send = (text: string) =>
      call("/api/v1/events", {
        method: "POST",
        headers: { ...tenant.writer.headers, "content-type": "application/json" },
        body: text,
      });
    await expectError(await send(body), 413, "PAYLOAD_TOO_LARGE");
    expect((await send(body.replace(padded, JSON.stringify(payload)))).status).toBe(201);
  });

  it("answers 413 for a payload over 256 KiB inside a body under 1 MiB", async () => {
    const big = await createReceiver(tenant, { schema: { type: "object" } });
    const response = await postEvent(tenant, big.id, { payload: { blob: "x".repeat(300 * 1024) } });
    await expectError(response, 413, "PAYLOAD_TOO_LARGE");
  });

  it.each([
    ["a missing field", { name: undefined }],
    ["an empty release", { release: "" }],
    ["a non-boolean success", { success: "yes" }],
    ["a receiver id that is not a ULID", { event_receiver_id: "r1" }],
    ["a payload that is not an object", { payload: [1] }],
    ["an unknown field", { colour: "red" }],
  ])("answers 400 VALIDATION_FAILED for %s", async (_, change) => {
    const body = {
      ...artifact(),
      payload: { size: 1 },
      success: true,
      event_receiver_id: receiver.id,
      ...change,
    };
    await expectError(
      await call("/api/v1/events", json(body, tenant.writer.headers)),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("needs events:write", async () => {
    const body = { ...artifact(), payload: { size: 1 }, success: true, event_receiver_id: receiver.id };
    await expectError(await call("/api/v1/events", json(body, tenant.reader.headers)), 403, "FORBIDDEN");
  });
});

describe("get-event: GET /api/v1/events/{id}", () => {
  it("gets an event with an ETag; events are immutable (405 with Allow)", async () => {
    const data = await recordEvent(tenant, receiver.id);
    const event = api(tenant.reader.headers).api.v1.events[":id"];
    const response = await event.$get({ param: { id: data.id } });
    const etag = response.headers.get("etag") ?? "";
    expect((await expectStatus(response, 200)).data).toEqual(data);
    const again = await event.$get({ param: { id: data.id } }, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const refused = await call(`/api/v1/events/${data.id}`, { method, headers: tenant.admin.headers });
      expect(refused.headers.get("allow")).toBe("GET, HEAD");
      await expectError(refused, 405, "METHOD_NOT_ALLOWED");
    }
    const other = await createTenant();
    await expectError(
      await call(`/api/v1/events/${data.id}`, { headers: other.admin.headers }),
      404,
      "NOT_FOUND",
    );
  });
});

describe("list-events: GET /api/v1/events", () => {
  it("applies every filter and the time range", async () => {
    const own = await createTenant();
    const r1 = await createReceiver(own);
    const r2 = await createReceiver(own);
    const post = async (receiverId: string, key: Partial<ReturnType<typeof artifact>>, success = true) =>
      recordEvent(own, receiverId, { key: artifact(key), success });
    const e1 = await post(r1.id, {});
    const e2 = await post(r1.id, { version: "2.0.0" }, false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const middle = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const e3 = await post(r2.id, { name: "bar", release: "2", platform_id: "darwin-arm64", package: "deb" });
    const ids = async (query: string) => {
      const response = await api(own.reader.headers).api.v1.events.$get({
        query: Object.fromEntries(new URLSearchParams(query)),
      });
      return (await expectStatus(response, 200)).data.map((e) => e.id);
    };

    expect(await ids("")).toEqual([e3.id, e2.id, e1.id]);
    expect(await ids(`event_receiver_id=${r1.id}`)).toEqual([e2.id, e1.id]);
    expect(await ids("name=bar")).toEqual([e3.id]);
    expect(await ids("version=2.0.0")).toEqual([e2.id]);
    expect(await ids("release=2")).toEqual([e3.id]);
    expect(await ids("platform_id=darwin-arm64")).toEqual([e3.id]);
    expect(await ids("package=deb")).toEqual([e3.id]);
    expect(await ids("success=false")).toEqual([e2.id]);
    expect(await ids(`since=${encodeURIComponent(middle)}`)).toEqual([e3.id]);
    expect(await ids(`until=${encodeURIComponent(middle)}`)).toEqual([e2.id, e1.id]);
    // Another tenant's receiver id is just a filter: an empty list.
    const stranger = await createTenant();
    const foreign = await createReceiver(stranger);
    expect(await ids(`event_receiver_id=${foreign.id}`)).toEqual([]);
  });

  it.each([
    "page_size=0",
    "page_size=201",
    "success=yes",
    "since=yesterday",
    "event_receiver_id=x",
    "cursor=abc.def",
  ])("answers 400 for %s", async (query) => {
    const response = await call(`/api/v1/events?${query}`, { headers: tenant.reader.headers });
    expect(response.status).toBe(400);
  });
});

describe("list-events: 10,000 events across pages", () => {
  it("returns 10,000 events once each, in order, across pages", { timeout: 120_000 }, async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    const nextId = monotonicFactory();
    const ids: string[] = [];
    await withDb(async (db) => {
      for (let batch = 0; batch < 10; batch++) {
        const rows = Array.from({ length: 1_000 }, () => {
          const id = nextId();
          ids.push(id);
          const { platform_id, ...key } = artifact();
          return {
            id,
            tenantId: tenant.id,
            eventReceiverId: receiver.id,
            ...key,
            platformId: platform_id,
            payload: { size: 1 },
            success: true,
            createdBy: tenant.writer.id,
            requestId: "bulk",
          };
        });
        await db.insert(events).values(rows);
      }
    });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = { page_size: "200", ...(cursor ? { cursor } : {}) };
      const page = await expectStatus(await api(tenant.reader.headers).api.v1.events.$get({ query }), 200);
      seen.push(...page.data.map((event) => event.id));
      expect(page.links.next).toBe(
        page.page.next_cursor && `/api/v1/events?page_size=200&cursor=${page.page.next_cursor}`,
      );
      cursor = page.page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(50);
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    expect(seen).toEqual([...ids].reverse());
  });
});
