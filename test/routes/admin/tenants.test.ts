// The tenant routes (src/routes/admin/tenants/), for platform admins: create, list, update. Every
// route's 401 and 403 cases are in the security matrix (test/security.test.ts).
import { describe, expect, it } from "vitest";
import { api, expectStatus } from "../../client";
import { createTenant, me } from "../../fixtures";
import { expectError } from "../../helpers";

const tenantsOf = (headers: Record<string, string>) => api(headers).api.v1.admin.tenants;

describe("create-tenant, update-tenant", () => {
  it("creates a tenant, refuses a duplicate slug and a tenant admin, and disables a tenant at once", async () => {
    const platform = await createTenant();
    const operator = await platform.actor("platform_admin");
    const slug = `acme-${Date.now()}`;
    const created = await expectStatus(
      await tenantsOf(operator.headers).$post({ json: { slug, name: "Acme" } }),
      201,
    );
    expect(created.data).toMatchObject({ slug, enabled: true });
    await expectError(
      await tenantsOf(operator.headers).$post({ json: { slug, name: "Again" } }),
      409,
      "CONFLICT",
    );
    await expectError(
      await tenantsOf(platform.admin.headers).$post({ json: { slug, name: "x" } }),
      403,
      "FORBIDDEN",
    );

    const victim = await createTenant();
    expect((await me(victim.writer.headers)).status).toBe(200);
    const disabled = await tenantsOf(operator.headers)[":id"].$patch({
      param: { id: victim.id },
      json: { enabled: false, settings: { event_quota_per_month: 1000 } },
    });
    expect((await expectStatus(disabled, 200)).data).toMatchObject({ id: victim.id, enabled: false });
    await expectError(await me(victim.writer.headers), 401, "UNAUTHENTICATED");
    await expectError(await me(victim.apiKey.headers), 401, "UNAUTHENTICATED");
    await expectError(
      await tenantsOf(operator.headers)[":id"].$patch({
        param: { id: "01JD3Z9T1V6Q2C8M4X5Y7B0N9K" },
        json: { name: "x" },
      }),
      404,
      "NOT_FOUND",
    );
  });
});

describe("list-tenants", () => {
  it("lists every tenant to a platform admin, newest first, in pages", async () => {
    const platform = await createTenant();
    const operator = await platform.actor("platform_admin");
    const newest = await createTenant();
    // Other test files may add tenants meanwhile: page until both are seen, and check their order.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await expectStatus(
        await tenantsOf(operator.headers).$get({ query: { page_size: "2", ...(cursor ? { cursor } : {}) } }),
        200,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((row) => row.id));
      cursor = page.page.next_cursor ?? undefined;
    } while (cursor && !seen.includes(platform.id));
    expect(seen.indexOf(newest.id)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(newest.id)).toBeLessThan(seen.indexOf(platform.id));
    expect(new Set(seen).size).toBe(seen.length);
    await expectError(await tenantsOf(platform.admin.headers).$get({ query: {} }), 403, "FORBIDDEN");
  });
});
