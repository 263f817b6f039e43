// The API key routes (src/routes/api-keys/): create, get, list, delete. Every route's 401 and 403
// cases are in the security matrix (test/security.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectStatus } from "../client";
import { bearer, createTenant, json, me, type TenantFixture, tokensOf } from "../fixtures";
import { call, expectError } from "../helpers";

let tenant: TenantFixture;
beforeAll(async () => {
  tenant = await createTenant();
});

const keysOf = (headers: Record<string, string>) => api(headers).api.v1["api-keys"];

describe("create-api-key, get-api-key, delete-api-key", () => {
  it("shows the secret once, gets it by id without it, and revokes at once", async () => {
    const created = await keysOf(tenant.admin.headers).$post({ json: { name: "ci", roles: ["writer"] } });
    expect(created.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    const { data } = await expectStatus(created, 201);
    expect(data.key).toMatch(/^xzepr_[0-9a-f]{64}$/);
    expect(data.key.startsWith(data.prefix)).toBe(true);
    expect(data.roles).toEqual(["writer"]);

    const key = keysOf(tenant.admin.headers)[":id"];
    const fetched = await key.$get({ param: { id: data.id } });
    const etag = fetched.headers.get("etag") ?? "";
    const fetchedBody = await expectStatus(fetched, 200);
    expect(fetchedBody.data).not.toHaveProperty("key");
    expect(fetchedBody.data.prefix).toBe(data.prefix);
    const again = await key.$get({ param: { id: data.id } }, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);

    const token = await tokensOf({ grant_type: "api_key", api_key: data.key });
    expect((await me({ "x-api-key": data.key })).status).toBe(200);
    expect((await key.$delete({ param: { id: data.id } })).status).toBe(204);
    await expectError(await me({ "x-api-key": data.key }), 401, "UNAUTHENTICATED");
    await expectError(await me(bearer(token.access_token)), 401, "UNAUTHENTICATED");
    await expectError(await key.$get({ param: { id: data.id } }), 404, "NOT_FOUND");
    await expectError(await key.$delete({ param: { id: data.id } }), 404, "NOT_FOUND");
  });

  it("refuses an expired key", async () => {
    const soon = new Date(Date.now() + 1_500).toISOString();
    const created = await keysOf(tenant.admin.headers).$post({
      json: { name: "short", roles: ["reader"], expires_at: soon },
    });
    const { data } = await expectStatus(created, 201);
    expect((await me({ "x-api-key": data.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await expectError(await me({ "x-api-key": data.key }), 401, "UNAUTHENTICATED");
  });

  it("refuses a past expiry and an unknown role", async () => {
    const past = json(
      { name: "x", roles: ["reader"], expires_at: "2020-01-01T00:00:00Z" },
      tenant.admin.headers,
    );
    await expectError(await call("/api/v1/api-keys", past), 400, "VALIDATION_FAILED");
    const role = json({ name: "x", roles: ["platform_admin"] }, tenant.admin.headers);
    await expectError(await call("/api/v1/api-keys", role), 400, "VALIDATION_FAILED");
  });
});

describe("list-api-keys", () => {
  it("pages with signed cursors, newest first; an altered cursor is a 400", async () => {
    const own = await createTenant();
    for (let index = 0; index < 4; index++) {
      await keysOf(own.admin.headers).$post({ json: { name: `k${index}`, roles: ["reader"] } });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await expectStatus(
        await keysOf(own.admin.headers).$get({ query: { page_size: "2", ...(cursor ? { cursor } : {}) } }),
        200,
      );
      seen.push(...page.data.map((key) => key.id));
      expect(page.data.every((key) => !("key" in key))).toBe(true);
      cursor = page.page.next_cursor ?? undefined;
      if (cursor) {
        const tampered = `${cursor.slice(0, -2)}xx`;
        await expectError(
          await keysOf(own.admin.headers).$get({ query: { cursor: tampered } }),
          400,
          "BAD_REQUEST",
        );
      }
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
