import { beforeAll, describe, expect, it } from "vitest";
import { receiverFingerprint } from "../../src/domain/fingerprint";
import { answerOf, api, expectStatus } from "../client";
import { createReceiver, createTenant, json, postEvent, type TenantFixture } from "../fixtures";
import { call, expectError } from "../helpers";

let tenant: TenantFixture;
beforeAll(async () => {
  tenant = await createTenant();
});

const schema = { type: "object", properties: { size: { type: "integer" } } };
const create = (body: Record<string, unknown>, headers = tenant.writer.headers) =>
  call("/api/v1/receivers", json({ name: "build", type: "ci", version: "1", schema, ...body }, headers));

describe("create-receiver: POST /api/v1/receivers", () => {
  it("creates a receiver with its fingerprint, ETag and Location", async () => {
    const response = await create({ name: "unit-tests", description: "runs the unit tests" });
    const { data } = await expectStatus(answerOf(api().api.v1.receivers.$post, response), 201);
    expect(data).toMatchObject({
      name: "unit-tests",
      type: "ci",
      version: "1",
      description: "runs the unit tests",
      schema,
    });
    expect(data.fingerprint).toBe(
      await receiverFingerprint({ name: "unit-tests", type: "ci", version: "1", schema }),
    );
    expect(response.headers.get("location")).toBe(`/api/v1/receivers/${data.id}`);
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("answers 409 for a duplicate (name, type, version) in the tenant, but not across tenants", async () => {
    expect((await create({ name: "dup" })).status).toBe(201);
    await expectError(await create({ name: "dup", schema: { type: "object" } }), 409, "CONFLICT");
    const other = await createTenant();
    expect((await create({ name: "dup" }, other.writer.headers)).status).toBe(201);
  });

  it("answers 400 with details when the schema is not a valid JSON Schema", async () => {
    const error = await expectError(
      await create({ name: "bad", schema: { type: "strin" } }),
      400,
      "VALIDATION_FAILED",
    );
    expect(error.details?.[0]?.path).toMatch(/^schema/);
  });

  it.each([
    ["an unknown field", { extra: 1 }],
    ["an empty name", { name: "" }],
    ["a long version", { version: "v".repeat(65) }],
    ["a schema that is not an object", { schema: [] }],
  ])("answers 400 VALIDATION_FAILED for %s", async (_, body) => {
    await expectError(await create({ name: "x", ...body }), 400, "VALIDATION_FAILED");
  });

  it("needs receivers:write (a reader gets 403)", async () => {
    await expectError(await create({ name: "r" }, tenant.reader.headers), 403, "FORBIDDEN");
  });
});

describe("list-receivers: GET /api/v1/receivers", () => {
  it("filters by name, type and version, newest first", async () => {
    const own = await createTenant();
    const a = await createReceiver(own, { name: "a", type: "t1", version: "1" });
    const b = await createReceiver(own, { name: "a", type: "t1", version: "2" });
    await createReceiver(own, { name: "b", type: "t2", version: "1" });
    const list = async (query: string) => {
      const response = await api(own.reader.headers).api.v1.receivers.$get({
        query: Object.fromEntries(new URLSearchParams(query)),
      });
      return (await expectStatus(response, 200)).data.map((receiver) => receiver.id);
    };
    expect(await list("name=a")).toEqual([b.id, a.id]);
    expect(await list("name=a&version=1")).toEqual([a.id]);
    expect(await list("type=t2")).toHaveLength(1);
    expect(await list("")).toHaveLength(3);
    await expectError(
      await call("/api/v1/receivers?page_size=201", { headers: own.reader.headers }),
      400,
      "VALIDATION_FAILED",
    );
  });
});

describe("get-receiver, update-receiver, delete-receiver: /api/v1/receivers/{id}", () => {
  it("gets with ETag, answers 304 to If-None-Match, 404 to another tenant", async () => {
    const { id } = await createReceiver(tenant);
    const receiver = api(tenant.reader.headers).api.v1.receivers[":id"];
    const response = await receiver.$get({ param: { id } });
    const etag = response.headers.get("etag") ?? "";
    expect((await expectStatus(response, 200)).data.id).toBe(id);
    const cached = await receiver.$get({ param: { id } }, { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    const other = await createTenant();
    await expectError(
      await call(`/api/v1/receivers/${id}`, { headers: other.admin.headers }),
      404,
      "NOT_FOUND",
    );
  });

  it("patches only the description, honouring If-Match", async () => {
    const { id } = await createReceiver(tenant);
    const etag =
      (await call(`/api/v1/receivers/${id}`, { headers: tenant.reader.headers })).headers.get("etag") ?? "";
    const patch = (body: unknown, ifMatch?: string) =>
      call(`/api/v1/receivers/${id}`, {
        method: "PATCH",
        headers: {
          ...tenant.writer.headers,
          "content-type": "application/json",
          ...(ifMatch ? { "if-match": ifMatch } : {}),
        },
        body: JSON.stringify(body),
      });
    await expectError(await patch({ name: "renamed" }), 400, "VALIDATION_FAILED");
    await expectError(await patch({ description: "x" }, '"0000"'), 412, "PRECONDITION_FAILED");
    const ok = await api(tenant.writer.headers).api.v1.receivers[":id"].$patch(
      { param: { id }, json: { description: "new words" } },
      { headers: { "if-match": etag } },
    );
    expect(ok.headers.get("etag")).not.toBe(etag);
    expect((await expectStatus(ok, 200)).data.description).toBe("new words");
  });

  it("deletes an unreferenced receiver, and answers 409 while events reference it", async () => {
    const free = await createReceiver(tenant);
    expect(
      (await call(`/api/v1/receivers/${free.id}`, { method: "DELETE", headers: tenant.writer.headers }))
        .status,
    ).toBe(204);
    await expectError(
      await call(`/api/v1/receivers/${free.id}`, { headers: tenant.reader.headers }),
      404,
      "NOT_FOUND",
    );

    const used = await createReceiver(tenant);
    expect((await postEvent(tenant, used.id)).status).toBe(201);
    await expectError(
      await call(`/api/v1/receivers/${used.id}`, { method: "DELETE", headers: tenant.writer.headers }),
      409,
      "CONFLICT",
    );
  });

  it("answers 409 while a group references it", async () => {
    const member = await createReceiver(tenant);
    const group = await call(
      "/api/v1/groups",
      json(
        { name: `g-${member.id}`, type: "release", version: "1", event_receiver_ids: [member.id] },
        tenant.writer.headers,
      ),
    );
    expect(group.status).toBe(201);
    await expectError(
      await call(`/api/v1/receivers/${member.id}`, { method: "DELETE", headers: tenant.writer.headers }),
      409,
      "CONFLICT",
    );
  });
});
