// The principal routes (src/routes/admin/principals/): create, list, update, delete. Every route's
// 401 and 403 cases are in the security matrix (test/security.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectStatus } from "../../client";
import { bearer, createTenant, json, me, type TenantFixture, tokenFor } from "../../fixtures";
import { call, expectError } from "../../helpers";

let tenant: TenantFixture;
beforeAll(async () => {
  tenant = await createTenant();
});

const principalsOf = (headers: Record<string, string>) => api(headers).api.v1.admin.principals;

describe("create-principal, update-principal, delete-principal", () => {
  it("creates, refuses a duplicate, updates with If-Match, disables at once and deletes", async () => {
    const principals = principalsOf(tenant.admin.headers);
    const created = await principals.$post({ json: { name: "alice", roles: ["writer"] } });
    const etag = created.headers.get("etag") ?? "";
    const { data } = await expectStatus(created, 201);
    expect(data).toMatchObject({ name: "alice", roles: ["writer"], enabled: true });
    await expectError(
      await principals.$post({ json: { name: "alice", roles: ["reader"] } }),
      409,
      "CONFLICT",
    );

    const token = await tokenFor(tenant.id, data.id, ["writer"]);
    expect((await me(bearer(token))).status).toBe(200);

    const patch = (body: { enabled: boolean }, ifMatch: string) =>
      principals[":id"].$patch({ param: { id: data.id }, json: body }, { headers: { "if-match": ifMatch } });
    await expectError(await patch({ enabled: false }, '"stale"'), 412, "PRECONDITION_FAILED");
    expect((await expectStatus(await patch({ enabled: false }, etag), 200)).data.enabled).toBe(false);
    await expectError(await me(bearer(token)), 401, "UNAUTHENTICATED");
    expect((await patch({ enabled: true }, "*")).status).toBe(200);
    expect((await me(bearer(token))).status).toBe(200);

    expect((await principals[":id"].$delete({ param: { id: data.id } })).status).toBe(204);
    await expectError(await me(bearer(token)), 401, "UNAUTHENTICATED");
    await expectError(await principals[":id"].$delete({ param: { id: data.id } }), 404, "NOT_FOUND");
  });

  it("refuses an unknown role, platform_admin and unknown fields", async () => {
    for (const body of [
      { name: "x", roles: ["owner"] },
      { name: "x", roles: ["platform_admin"] },
      { name: "x", roles: ["reader"], email: "x@example.com" },
    ]) {
      await expectError(
        await call("/api/v1/admin/principals", json(body, tenant.admin.headers)),
        400,
        "VALIDATION_FAILED",
      );
    }
  });
});

describe("list-principals", () => {
  it("lists the tenant's own principals, newest first, in pages", async () => {
    const own = await createTenant();
    const principals = principalsOf(own.admin.headers);
    for (const name of ["p1", "p2", "p3"]) await principals.$post({ json: { name, roles: ["reader"] } });
    const first = await expectStatus(await principals.$get({ query: { page_size: "2" } }), 200);
    expect(first.data.map((principal) => principal.name)).toEqual(["p3", "p2"]);
    const cursor = first.page.next_cursor ?? "";
    const rest = await expectStatus(await principals.$get({ query: { page_size: "200", cursor } }), 200);
    // The fixture's own actors (admin, writer, reader) come before the three.
    expect(rest.data.map((principal) => principal.name)).toContain("p1");
    expect(rest.page.next_cursor).toBeNull();
    const names = [...first.data, ...rest.data].map((principal) => principal.id);
    const other = await expectStatus(await principalsOf(tenant.admin.headers).$get({ query: {} }), 200);
    expect(other.data.some((principal) => names.includes(principal.id))).toBe(false);
  });
});
