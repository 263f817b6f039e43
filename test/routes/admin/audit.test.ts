// The audit log (src/routes/admin/audit/ and every mutation that writes it): an entry per mutation
// and security-relevant action, in the change's own transaction, read-only through the API.

import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, bodyAs, expectStatus } from "../../client";
import { createReceiver, createTenant, json, type TenantFixture, withDb } from "../../fixtures";
import { call, expectError } from "../../helpers";

const auditApi = (headers: Record<string, string>) => api(headers).api.v1.admin.audit;

async function auditOf(tenant: TenantFixture, query = "") {
  const response = await auditApi(tenant.admin.headers).$get({
    query: Object.fromEntries(new URLSearchParams(query)),
  });
  return (await expectStatus(response, 200)).data;
}

/** Sends a request and returns its status and request id. */
async function act(
  path: string,
  init: RequestInit,
): Promise<{ status: number; requestId: string; body: unknown }> {
  const response = await call(path, init);
  const text = await response.text();
  return {
    status: response.status,
    requestId: response.headers.get("x-request-id") ?? "",
    body: text ? JSON.parse(text) : null,
  };
}

describe("list-audit: GET /api/v1/admin/audit, and the entries every mutation writes", () => {
  it("records every mutation and security action with actor, resource, outcome, request id and client", async () => {
    const tenant = await createTenant();
    const admin = {
      ...tenant.admin.headers,
      "user-agent": "audit-test/1.0",
      "cf-connecting-ip": "203.0.113.77",
    };
    const expected: { action: string; resource_type: string; request_id: string; outcome?: string }[] = [];
    const expectEntry = (
      action: string,
      resource_type: string,
      result: { status: number; requestId: string },
      status: number,
      outcome = "success",
    ) => {
      expect({ action, status: result.status }).toEqual({ action, status });
      expected.push({ action, resource_type, request_id: result.requestId, outcome });
    };

    const receiver = await act(
      "/api/v1/receivers",
      json({ name: "r", type: "ci", version: "1", schema: { type: "object" } }, admin),
    );
    expectEntry("receiver.create", "event_receiver", receiver, 201);
    const receiverId = bodyAs(api().api.v1.receivers.$post, 201, receiver.body).data.id;
    expectEntry(
      "receiver.update",
      "event_receiver",
      await act(`/api/v1/receivers/${receiverId}`, { ...json({ description: "d" }, admin), method: "PATCH" }),
      200,
    );
    const group = await act(
      "/api/v1/groups",
      json({ name: "g", type: "ci", version: "1", event_receiver_ids: [receiverId] }, admin),
    );
    expectEntry("group.create", "receiver_group", group, 201);
    const groupId = bodyAs(api().api.v1.groups.$post, 201, group.body).data.id;
    expectEntry(
      "group.update",
      "receiver_group",
      await act(`/api/v1/groups/${groupId}`, { ...json({ enabled: false }, admin), method: "PATCH" }),
      200,
    );
    expectEntry(
      "group.members_replace",
      "receiver_group",
      await act(`/api/v1/groups/${groupId}/receivers`, {
        ...json({ event_receiver_ids: [] }, admin),
        method: "PUT",
      }),
      200,
    );
    expectEntry(
      "group.delete",
      "receiver_group",
      await act(`/api/v1/groups/${groupId}`, { method: "DELETE", headers: admin }),
      204,
    );
    expectEntry(
      "receiver.delete",
      "event_receiver",
      await act(`/api/v1/receivers/${receiverId}`, { method: "DELETE", headers: admin }),
      204,
    );

    const key = await act("/api/v1/api-keys", json({ name: "k", roles: ["writer"] }, admin));
    expectEntry("api_key.create", "api_key", key, 201);
    const { id: keyId, key: secret } = bodyAs(api().api.v1["api-keys"].$post, 201, key.body).data;
    const token = await act("/api/v1/auth/token", json({ grant_type: "api_key", api_key: secret }));
    expect(token.status).toBe(200);
    expected.push({
      action: "auth.token_issued",
      resource_type: "token_family",
      request_id: token.requestId,
      outcome: "success",
    });
    const { refresh_token } = bodyAs(api().api.v1.auth.token.$post, 200, token.body);
    const refreshed = await act("/api/v1/auth/token", json({ grant_type: "refresh_token", refresh_token }));
    expect(refreshed.status).toBe(200);
    expected.push({
      action: "auth.token_issued",
      resource_type: "token_family",
      request_id: refreshed.requestId,
      outcome: "success",
    });
    const reused = await act("/api/v1/auth/token", json({ grant_type: "refresh_token", refresh_token }));
    expect(reused.status).toBe(401);
    expected.push({
      action: "auth.refresh_reused",
      resource_type: "token_family",
      request_id: reused.requestId,
      outcome: "denied",
    });
    expectEntry(
      "api_key.revoke",
      "api_key",
      await act(`/api/v1/api-keys/${keyId}`, { method: "DELETE", headers: admin }),
      204,
    );

    const principal = await act("/api/v1/admin/principals", json({ name: "p", roles: ["reader"] }, admin));
    expectEntry("principal.create", "principal", principal, 201);
    const principalId = bodyAs(api().api.v1.admin.principals.$post, 201, principal.body).data.id;
    expectEntry(
      "principal.update",
      "principal",
      await act(`/api/v1/admin/principals/${principalId}`, {
        ...json({ roles: ["writer"] }, admin),
        method: "PATCH",
      }),
      200,
    );
    expectEntry(
      "principal.delete",
      "principal",
      await act(`/api/v1/admin/principals/${principalId}`, { method: "DELETE", headers: admin }),
      204,
    );
    const denied = await act("/api/v1/api-keys", { headers: tenant.reader.headers });
    expect(denied.status).toBe(403);
    expected.push({
      action: "auth.denied",
      resource_type: "route",
      request_id: denied.requestId,
      outcome: "denied",
    });

    let entries: Awaited<ReturnType<typeof auditOf>> = [];
    for (let tries = 0; tries < 50 && entries.length < expected.length; tries++) {
      entries = await auditOf(tenant, "?page_size=100");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seen = entries.map(({ action, resource_type, request_id, outcome }) => ({
      action,
      resource_type,
      request_id,
      outcome,
    }));
    expect(seen.sort((a, b) => (a.request_id ?? "").localeCompare(b.request_id ?? ""))).toEqual(
      expected.sort((a, b) => a.request_id.localeCompare(b.request_id)),
    );
    const created = entries.find((entry) => entry.action === "receiver.create");
    expect(created).toMatchObject({
      actor: { type: "principal", id: tenant.admin.id },
      resource_id: receiverId,
      ip: "203.0.113.0",
      user_agent: "audit-test/1.0",
    });
    expect(entries.find((entry) => entry.action === "auth.denied")).toMatchObject({
      actor: { type: "principal", id: tenant.reader.id },
      resource_id: "GET /api/v1/api-keys",
    });
    expect(entries.find((entry) => entry.action === "auth.refresh_reused")?.actor).toEqual({
      type: "api_key",
      id: keyId,
    });
  });

  it("filters by actor, action, resource, outcome and time, pages with a cursor, and shows only the tenant's own", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const receivers = [
      await createReceiver(tenant),
      await createReceiver(tenant),
      await createReceiver(tenant),
    ];
    await call("/api/v1/api-keys", { headers: tenant.reader.headers });
    const [first] = receivers;

    expect((await auditOf(tenant, "?action=receiver.create")).map((e) => e.resource_id).sort()).toEqual(
      receivers.map((r) => r.id).sort(),
    );
    expect(await auditOf(tenant, `?resource_type=event_receiver&resource_id=${first?.id}`)).toHaveLength(1);
    expect((await auditOf(tenant, "?outcome=denied")).map((e) => e.action)).toEqual(["auth.denied"]);
    expect(await auditOf(tenant, `?actor=${tenant.writer.id}&action=receiver.create`)).toHaveLength(3);
    expect(await auditOf(tenant, "?since=2100-01-01T00:00:00Z")).toEqual([]);
    expect(await auditOf(tenant, "?until=2000-01-01T00:00:00Z")).toEqual([]);
    expect(await auditOf(other)).toEqual([]);

    const audit = auditApi(tenant.admin.headers);
    const query = { action: "receiver.create", page_size: "2" };
    const body = await expectStatus(await audit.$get({ query }), 200);
    expect(body.data).toHaveLength(2);
    const cursor = body.page.next_cursor ?? "";
    expect((await expectStatus(await audit.$get({ query: { ...query, cursor } }), 200)).data).toHaveLength(1);
    await expectError(
      await call("/api/v1/admin/audit?outcome=maybe", { headers: tenant.admin.headers }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("rolls the change back when its audit entry cannot be written", async () => {
    const tenant = await createTenant();
    // A trigger that fails this tenant's audit inserts only (other tests run alongside).
    const fn = `fail_audit_${tenant.id.toLowerCase()}`;
    await withDb(async (db) => {
      await db.execute(
        sql.raw(`create function ${fn}() returns trigger language plpgsql as $$ begin
           if new.tenant_id = '${tenant.id}' then raise exception 'audit store unavailable'; end if;
           return new; end $$`),
      );
      await db.execute(
        sql.raw(`create trigger ${fn} before insert on audit_logs for each row execute function ${fn}()`),
      );
    });
    try {
      const response = await call(
        "/api/v1/receivers",
        json({ name: "lost", type: "ci", version: "1", schema: { type: "object" } }, tenant.admin.headers),
      );
      await expectError(response, 500, "INTERNAL");
      const listed = await api(tenant.admin.headers).api.v1.receivers.$get({ query: { name: "lost" } });
      expect((await expectStatus(listed, 200)).data).toEqual([]);
    } finally {
      await withDb(async (db) => {
        await db.execute(sql.raw(`drop trigger ${fn} on audit_logs`));
        await db.execute(sql.raw(`drop function ${fn}()`));
      });
    }
  });

  it("is append-only: no route changes it, and the database refuses updates and deletes", async () => {
    const tenant = await createTenant();
    await createReceiver(tenant);
    for (const method of ["PUT", "PATCH", "DELETE", "POST"]) {
      const response = await call("/api/v1/admin/audit", { method, headers: tenant.admin.headers });
      expect(response.status).toBe(405);
    }
    await expect(
      withDb((db) =>
        db.execute(sql`update audit_logs set outcome = 'failure' where tenant_id = ${tenant.id}`),
      ),
    ).rejects.toMatchObject({ cause: expect.objectContaining({ message: "audit_logs is append-only" }) });
    await expect(
      withDb((db) => db.execute(sql`delete from audit_logs where tenant_id = ${tenant.id}`)),
    ).rejects.toMatchObject({ cause: expect.objectContaining({ message: "audit_logs is append-only" }) });
  });
});
