// Receiver groups (API.md "Event tracking"): CRUD, member replacement, completions listing,
// ETag rules and tenant isolation.
import { ulid } from "ulidx";
import { beforeAll, describe, expect, it } from "vitest";
import { groupCompletions } from "../../src/db/schema";
import { groupFingerprint } from "../../src/domain/fingerprint";
import { answerOf, api, expectStatus } from "../client";
import { createReceiver, createTenant, json, type TenantFixture, withDb } from "../fixtures";
import { call, expectError } from "../helpers";

const groupsApi = api().api.v1.groups;
/** The group in a 201 of create-group. */
const createdGroup = async (response: Response) =>
  (await expectStatus(answerOf(groupsApi.$post, response), 201)).data;
/** The group in a 200 of get-group, update-group or replace-members (the same body). */
const groupIn = async (response: Response) =>
  (await expectStatus(answerOf(groupsApi[":id"].$get, response), 200)).data;
/** The page in a 200 of list-groups. */
const groupPage = async (response: Response) => expectStatus(answerOf(groupsApi.$get, response), 200);
type Group = Awaited<ReturnType<typeof groupIn>>;

const UNKNOWN = "01JD3Z9T1V6Q2C8M4X5Y7B0N9K";

let tenant: TenantFixture;
let other: TenantFixture;
/** Receivers of `tenant`, and one of `other`. */
let r1: string;
let r2: string;
let r3: string;
let foreign: string;

const newReceiver = async (owner: TenantFixture) =>
  (await createReceiver(owner, { schema: { type: "object" } })).id;

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTenant(), createTenant()]);
  [r1, r2, r3, foreign] = await Promise.all([
    newReceiver(tenant),
    newReceiver(tenant),
    newReceiver(tenant),
    newReceiver(other),
  ]);
});

const create = (body: Record<string, unknown>, headers: Record<string, string> = tenant.writer.headers) =>
  call("/api/v1/groups", json({ name: `g-${ulid()}`, type: "release", version: "1", ...body }, headers));

async function createGroup(body: Record<string, unknown> = {}): Promise<{ group: Group; etag: string }> {
  const response = await create(body);
  return { etag: response.headers.get("etag") ?? "", group: await createdGroup(response) };
}

/** A request with a JSON body (or none), as `tenant.writer` unless told. */
function send(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = tenant.writer.headers,
): Promise<Response> {
  return call(path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const get = (id: string, headers: Record<string, string> = tenant.reader.headers) =>
  call(`/api/v1/groups/${id}`, { headers });

describe("create-group: POST /api/v1/groups", () => {
  it("creates a group with defaults, sorted members, fingerprint, ETag and Location", async () => {
    const members = [r2, r1].sort().reverse();
    const response = await create({
      name: "ship-it",
      type: "release",
      version: "2",
      event_receiver_ids: members,
    });
    const data = await createdGroup(response);
    expect(data).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      name: "ship-it",
      type: "release",
      version: "2",
      description: "",
      enabled: true,
      fingerprint: await groupFingerprint({ name: "ship-it", type: "release", version: "2" }),
      event_receiver_ids: [...members].sort(),
      created_at: expect.any(String),
      updated_at: data.created_at,
    });
    expect(response.headers.get("location")).toBe(`/api/v1/groups/${data.id}`);
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    // The created representation is the one GET serves.
    expect((await get(data.id)).headers.get("etag")).toBe(response.headers.get("etag"));
  });

  it("accepts a group without members, disabled, with a description", async () => {
    const { group } = await createGroup({ description: "later", enabled: false, event_receiver_ids: [] });
    expect(group).toMatchObject({ description: "later", enabled: false, event_receiver_ids: [] });
  });

  it("answers 400 naming each id that is not a receiver of the tenant", async () => {
    const error = await expectError(
      await create({ event_receiver_ids: [r1, UNKNOWN, foreign] }),
      400,
      "VALIDATION_FAILED",
    );
    expect(error.details).toEqual([
      { path: "event_receiver_ids.1", message: expect.stringContaining(UNKNOWN) },
      { path: "event_receiver_ids.2", message: expect.stringContaining(foreign) },
    ]);
  });

  it("answers 400 for duplicate member ids, at the duplicate's index", async () => {
    const error = await expectError(
      await create({ event_receiver_ids: [r1, r2, r1] }),
      400,
      "VALIDATION_FAILED",
    );
    expect(error.details).toEqual([{ path: "event_receiver_ids.2", message: expect.stringContaining(r1) }]);
  });

  it.each([
    ["an unknown field", { extra: 1 }],
    ["a missing member list", { event_receiver_ids: undefined }],
    ["an id that is not a ULID", { event_receiver_ids: ["not-a-ulid"] }],
    ["more than 100 members", { event_receiver_ids: Array.from({ length: 101 }, () => ulid()) }],
    ["an empty name", { name: "" }],
    ["a long version", { version: "v".repeat(65) }],
    ["a long description", { description: "d".repeat(1025) }],
  ])("answers 400 VALIDATION_FAILED for %s", async (_, body) => {
    await expectError(await create({ event_receiver_ids: [], ...body }), 400, "VALIDATION_FAILED");
  });

  it("answers 409 for a duplicate (name, type, version) in the tenant, but not across tenants", async () => {
    const identity = { name: "dup", type: "release", version: "1" };
    expect((await create({ ...identity, event_receiver_ids: [r1] })).status).toBe(201);
    await expectError(await create({ ...identity, event_receiver_ids: [] }), 409, "CONFLICT");
    expect((await create({ ...identity, event_receiver_ids: [] }, other.writer.headers)).status).toBe(201);
  });

  it("answers 413, 415, and 422 for an Idempotency-Key reused with another body", async () => {
    await expectError(
      await create({ description: "x".repeat(1024 * 1024), event_receiver_ids: [] }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    const text = await call("/api/v1/groups", {
      method: "POST",
      headers: { ...tenant.writer.headers, "content-type": "text/plain" },
      body: "name=x",
    });
    await expectError(text, 415, "UNSUPPORTED_MEDIA_TYPE");
    const headers = { ...tenant.writer.headers, "idempotency-key": ulid() };
    const first = await call(
      "/api/v1/groups",
      json({ name: "idem", type: "t", version: "1", event_receiver_ids: [] }, headers),
    );
    expect(first.status).toBe(201);
    const replay = await call(
      "/api/v1/groups",
      json({ name: "idem", type: "t", version: "1", event_receiver_ids: [] }, headers),
    );
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const reused = await call(
      "/api/v1/groups",
      json({ name: "idem2", type: "t", version: "1", event_receiver_ids: [] }, headers),
    );
    await expectError(reused, 422, "IDEMPOTENCY_KEY_REUSED");
  });

  it("needs groups:write (a reader gets 403)", async () => {
    await expectError(await create({ event_receiver_ids: [] }, tenant.reader.headers), 403, "FORBIDDEN");
  });
});

describe("list-groups: GET /api/v1/groups", () => {
  it("filters by name, type, version and enabled, newest first, with cursor pagination", async () => {
    const own = await createTenant();
    const make = async (body: Record<string, unknown>) => {
      const response = await create({ event_receiver_ids: [], ...body }, own.writer.headers);
      return (await createdGroup(response)).id;
    };
    const a = await make({ name: "a", type: "t1", version: "1" });
    const b = await make({ name: "a", type: "t1", version: "2", enabled: false });
    const c = await make({ name: "b", type: "t2", version: "1" });
    const list = async (query: string) => {
      const response = await call(`/api/v1/groups?${query}`, { headers: own.reader.headers });
      return groupPage(response);
    };
    const ids = async (query: string) => (await list(query)).data.map((group) => group.id);
    expect(await ids("")).toEqual([c, b, a]);
    expect(await ids("name=a")).toEqual([b, a]);
    expect(await ids("name=a&version=1")).toEqual([a]);
    expect(await ids("type=t2")).toEqual([c]);
    expect(await ids("enabled=false")).toEqual([b]);
    expect(await ids("enabled=true")).toEqual([c, a]);

    const first = await list("page_size=2");
    expect(first.data.map((group) => group.id)).toEqual([c, b]);
    expect(first.links.next).toMatch(/^\/api\/v1\/groups\?page_size=2&cursor=/);
    const second = await list(`page_size=2&cursor=${encodeURIComponent(first.page.next_cursor ?? "")}`);
    expect(second.data.map((group) => group.id)).toEqual([a]);
    expect(second.page.next_cursor).toBeNull();
  });

  it.each([
    ["page_size=201", "VALIDATION_FAILED"],
    ["enabled=yes", "VALIDATION_FAILED"],
    ["cursor=forged.cursor", "BAD_REQUEST"],
  ])("answers 400 for %s", async (query, code) => {
    await expectError(await call(`/api/v1/groups?${query}`, { headers: tenant.reader.headers }), 400, code);
  });
});

describe("get-group: GET /api/v1/groups/{id}", () => {
  it("gets with ETag and answers 304 to If-None-Match", async () => {
    const { group, etag } = await createGroup({ event_receiver_ids: [r1] });
    const response = await get(group.id);
    expect(await groupIn(response)).toEqual(group);
    expect(response.headers.get("etag")).toBe(etag);
    const cached = await call(`/api/v1/groups/${group.id}`, {
      headers: { ...tenant.reader.headers, "if-none-match": etag },
    });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
  });

  it("answers 404 for an unknown id and 400 for an id that is not a ULID", async () => {
    await expectError(await get(UNKNOWN), 404, "NOT_FOUND");
    await expectError(await get("nope"), 400, "VALIDATION_FAILED");
  });
});

describe("update-group: PATCH /api/v1/groups/{id}", () => {
  it("changes description and enabled, honouring If-Match, with a new ETag", async () => {
    const { group, etag } = await createGroup({ event_receiver_ids: [r1] });
    const path = `/api/v1/groups/${group.id}`;
    await expectError(
      await send("PATCH", path, { description: "x" }, { ...tenant.writer.headers, "if-match": '"0000"' }),
      412,
      "PRECONDITION_FAILED",
    );
    const ok = await send(
      "PATCH",
      path,
      { description: "new words", enabled: false },
      { ...tenant.writer.headers, "if-match": etag },
    );
    const data = await groupIn(ok);
    expect(data).toMatchObject({
      ...group,
      description: "new words",
      enabled: false,
      updated_at: expect.any(String),
    });
    expect(ok.headers.get("etag")).not.toBe(etag);
    expect(ok.headers.get("etag")).toBe((await get(group.id)).headers.get("etag"));
    // The old ETag is stale now; `*` matches any version.
    await expectError(
      await send("PATCH", path, { enabled: true }, { ...tenant.writer.headers, "if-match": etag }),
      412,
      "PRECONDITION_FAILED",
    );
    const any = await send("PATCH", path, { enabled: true }, { ...tenant.writer.headers, "if-match": "*" });
    expect((await groupIn(any)).enabled).toBe(true);
  });

  it.each([
    ["the name (identity is immutable)", { name: "renamed" }],
    ["the members (PUT .../receivers replaces them)", { event_receiver_ids: [] }],
    ["a non-boolean enabled", { enabled: "no" }],
  ])("answers 400 for %s", async (_, body) => {
    const { group } = await createGroup({ event_receiver_ids: [] });
    await expectError(await send("PATCH", `/api/v1/groups/${group.id}`, body), 400, "VALIDATION_FAILED");
  });

  it("answers 404 for an unknown id, 415 for a body that is not JSON", async () => {
    await expectError(await send("PATCH", `/api/v1/groups/${UNKNOWN}`, { enabled: false }), 404, "NOT_FOUND");
    const { group } = await createGroup({ event_receiver_ids: [] });
    const text = await call(`/api/v1/groups/${group.id}`, {
      method: "PATCH",
      headers: { ...tenant.writer.headers, "content-type": "text/plain" },
      body: "enabled=false",
    });
    await expectError(text, 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("delete-group: DELETE /api/v1/groups/{id}", () => {
  it("deletes honouring If-Match, and its members no longer hold their receivers", async () => {
    const member = await newReceiver(tenant);
    const { group, etag } = await createGroup({ event_receiver_ids: [member] });
    const path = `/api/v1/groups/${group.id}`;
    await expectError(await send("DELETE", `/api/v1/receivers/${member}`), 409, "CONFLICT");
    await expectError(
      await send("DELETE", path, undefined, { ...tenant.writer.headers, "if-match": '"0000"' }),
      412,
      "PRECONDITION_FAILED",
    );
    expect(
      (await send("DELETE", path, undefined, { ...tenant.writer.headers, "if-match": etag })).status,
    ).toBe(204);
    await expectError(await get(group.id), 404, "NOT_FOUND");
    await expectError(await send("DELETE", path), 404, "NOT_FOUND");
    expect((await send("DELETE", `/api/v1/receivers/${member}`)).status).toBe(204);
  });

  it("needs groups:write (a reader gets 403)", async () => {
    const { group } = await createGroup({ event_receiver_ids: [] });
    await expectError(
      await send("DELETE", `/api/v1/groups/${group.id}`, undefined, tenant.reader.headers),
      403,
      "FORBIDDEN",
    );
  });
});

describe("replace-members: PUT /api/v1/groups/{id}/receivers", () => {
  it("replaces the member set, with a new ETag and updated_at", async () => {
    const { group, etag } = await createGroup({ event_receiver_ids: [r1, r2] });
    const path = `/api/v1/groups/${group.id}/receivers`;
    const put = await send(
      "PUT",
      path,
      { event_receiver_ids: [r3, r2] },
      { ...tenant.writer.headers, "if-match": etag },
    );
    const data = await groupIn(put);
    expect(data.event_receiver_ids).toEqual([r2, r3].sort());
    expect(Date.parse(data.updated_at)).toBeGreaterThan(Date.parse(group.updated_at));
    expect(put.headers.get("etag")).not.toBe(etag);
    const fresh = await get(group.id);
    expect(await groupIn(fresh)).toEqual(data);
    expect(fresh.headers.get("etag")).toBe(put.headers.get("etag"));

    const emptied = await send("PUT", path, { event_receiver_ids: [] });
    expect((await groupIn(emptied)).event_receiver_ids).toEqual([]);
  });

  it("answers 400 for an unknown member (and changes nothing), duplicates or unknown fields", async () => {
    const { group, etag } = await createGroup({ event_receiver_ids: [r1] });
    const path = `/api/v1/groups/${group.id}/receivers`;
    const unknown = await expectError(
      await send("PUT", path, { event_receiver_ids: [r2, UNKNOWN] }),
      400,
      "VALIDATION_FAILED",
    );
    expect(unknown.details).toEqual([
      { path: "event_receiver_ids.1", message: expect.stringContaining(UNKNOWN) },
    ]);
    expect((await get(group.id)).headers.get("etag")).toBe(etag);
    await expectError(await send("PUT", path, { event_receiver_ids: [r2, r2] }), 400, "VALIDATION_FAILED");
    await expectError(
      await send("PUT", path, { event_receiver_ids: [], enabled: true }),
      400,
      "VALIDATION_FAILED",
    );
    await expectError(await send("PUT", path, {}), 400, "VALIDATION_FAILED");
  });

  it("answers 412 for a stale If-Match and 404 for an unknown group", async () => {
    const { group } = await createGroup({ event_receiver_ids: [r1] });
    const stale = await send(
      "PUT",
      `/api/v1/groups/${group.id}/receivers`,
      { event_receiver_ids: [r2] },
      { ...tenant.writer.headers, "if-match": '"0000"' },
    );
    await expectError(stale, 412, "PRECONDITION_FAILED");
    await expectError(
      await send("PUT", `/api/v1/groups/${UNKNOWN}/receivers`, { event_receiver_ids: [r2] }),
      404,
      "NOT_FOUND",
    );
  });
});

describe("tenant isolation", () => {
  it("answers 404 for another tenant's group on every route", async () => {
    const { group } = await createGroup({ event_receiver_ids: [r1] });
    const path = `/api/v1/groups/${group.id}`;
    const as = other.admin.headers;
    await expectError(await get(group.id, as), 404, "NOT_FOUND");
    await expectError(await send("PATCH", path, { enabled: false }, as), 404, "NOT_FOUND");
    await expectError(
      await send("PUT", `${path}/receivers`, { event_receiver_ids: [foreign] }, as),
      404,
      "NOT_FOUND",
    );
    await expectError(
      await send("PATCH", path, { enabled: false }, { ...as, "if-match": "*" }),
      404,
      "NOT_FOUND",
    );
    await expectError(await send("DELETE", path, undefined, as), 404, "NOT_FOUND");
    await expectError(await call(`${path}/completions`, { headers: as }), 404, "NOT_FOUND");
    const list = await groupPage(await call("/api/v1/groups", { headers: as }));
    expect(list.data.map((item) => item.id)).not.toContain(group.id);
    // Untouched by all of the above.
    expect(await groupIn(await get(group.id))).toEqual(group);
  });

  it("answers 400 when another tenant's receiver is named as a member", async () => {
    await expectError(await create({ event_receiver_ids: [foreign] }), 400, "VALIDATION_FAILED");
    const { group } = await createGroup({ event_receiver_ids: [] });
    const error = await expectError(
      await send("PUT", `/api/v1/groups/${group.id}/receivers`, { event_receiver_ids: [r1, foreign] }),
      400,
      "VALIDATION_FAILED",
    );
    expect(error.details).toEqual([
      { path: "event_receiver_ids.1", message: expect.stringContaining(foreign) },
    ]);
  });
});

describe("list-completions: GET /api/v1/groups/{id}/completions", () => {
  it("lists a group's completions newest first, filtered, with cursor pagination", async () => {
    const { group } = await createGroup({ event_receiver_ids: [r1] });
    const { group: sibling } = await createGroup({ event_receiver_ids: [r1] });
    const start = Date.now() - 60_000;
    const rows = ["linux-amd64", "linux-arm64", "linux-amd64"].map((platformId, index) => ({
      id: ulid(start + index * 1000),
      tenantId: tenant.id,
      groupId: group.id,
      name: "foo",
      version: "1.4.2",
      release: String(index),
      platformId,
      package: "rpm",
      eventIds: [ulid(), ulid()].sort(),
    }));
    const [oldest, middle, newest] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    await withDb((db) =>
      db.insert(groupCompletions).values([...rows, { ...oldest, id: ulid(), groupId: sibling.id }]),
    );

    const list = async (query: string) => {
      const response = await call(`/api/v1/groups/${group.id}/completions?${query}`, {
        headers: tenant.reader.headers,
      });
      return expectStatus(answerOf(groupsApi[":id"].completions.$get, response), 200);
    };
    const first = await list("page_size=2");
    expect(first.data.map((item) => item.id)).toEqual([newest.id, middle.id]);
    expect(first.data[0]).toEqual({
      id: newest.id,
      group_id: group.id,
      name: "foo",
      version: "1.4.2",
      release: "2",
      platform_id: "linux-amd64",
      package: "rpm",
      event_ids: newest.eventIds,
      created_at: expect.any(String),
    });
    const second = await list(`page_size=2&cursor=${encodeURIComponent(first.page.next_cursor ?? "")}`);
    expect(second.data.map((item) => item.id)).toEqual([oldest.id]);
    expect(second.page.next_cursor).toBeNull();

    expect((await list("platform_id=linux-amd64")).data.map((item) => item.id)).toEqual([
      newest.id,
      oldest.id,
    ]);
    expect((await list("platform_id=linux-amd64&release=0")).data.map((item) => item.id)).toEqual([
      oldest.id,
    ]);
    expect((await list("package=deb")).data).toEqual([]);
  });

  it("answers 404 for an unknown group and 400 for a bad query", async () => {
    await expectError(
      await call(`/api/v1/groups/${UNKNOWN}/completions`, { headers: tenant.reader.headers }),
      404,
      "NOT_FOUND",
    );
    const { group } = await createGroup({ event_receiver_ids: [] });
    const path = `/api/v1/groups/${group.id}/completions`;
    await expectError(
      await call(`${path}?page_size=0`, { headers: tenant.reader.headers }),
      400,
      "VALIDATION_FAILED",
    );
    await expectError(
      await call(`${path}?cursor=forged.cursor`, { headers: tenant.reader.headers }),
      400,
      "BAD_REQUEST",
    );
  });
});
