// Webhooks (API.md "Webhooks"; src/routes/webhooks, src/domain/webhook-delivery.ts) against a real
// local receiver (scripts/lib/webhook-receiver.ts): every delivery is checked with the
// standardwebhooks package's Webhook.verify, a verifier this project did not write.
import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase } from "../../src/db/client";
import { loadConfig } from "../../src/env";
import { relayWebhooks } from "../../src/jobs/webhooks";
import { createLogger } from "../../src/lib/logger";
import { artifact, createReceiver, createTenant, json, type TenantFixture, withDb } from "../fixtures";
import { call, expectError } from "../helpers";

const { webhookReceiverUrl } = inject("stack");

interface Hook {
  path: string;
  at: number;
  headers: Record<string, string>;
  body: string;
}

interface CreatedWebhook {
  id: string;
  secret: string;
  url: string;
  enabled: boolean;
}

let tenant: TenantFixture;
let receiverId: string;

beforeAll(async () => {
  tenant = await createTenant();
  receiverId = (await createReceiver(tenant)).id;
});

const path = () => `/hooks/${crypto.randomUUID()}`;

async function script(hookPath: string, statuses: number[]) {
  const response = await fetch(`${webhookReceiverUrl}/_hooks/script`, {
    method: "PUT",
    body: JSON.stringify({ path: hookPath, statuses }),
  });
  expect(response.status).toBe(204);
}

async function received(hookPath: string): Promise<Hook[]> {
  return (await (
    await fetch(`${webhookReceiverUrl}/_hooks/requests?path=${encodeURIComponent(hookPath)}`)
  ).json()) as Hook[];
}

/** Polls the receiver until `count` requests came to the path (or 10 s passed). */
async function waitFor(hookPath: string, count: number, deliver?: () => Promise<unknown>): Promise<Hook[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (deliver) await deliver();
    const hooks = await received(hookPath);
    if (hooks.length >= count || Date.now() > until) return hooks;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function subscribe(
  owner: TenantFixture,
  hookPath: string,
  overrides: Record<string, unknown> = {},
): Promise<CreatedWebhook> {
  const response = await call(
    "/api/v1/webhooks",
    json(
      { url: `${webhookReceiverUrl}${hookPath}`, event_types: ["xzepr.event.created"], ...overrides },
      owner.admin.headers,
    ),
  );
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: CreatedWebhook }).data;
}

const eventFor = (receiver: string, overrides: Record<string, unknown> = {}) => ({
  ...artifact(),
  payload: { size: 1 },
  success: true,
  event_receiver_id: receiver,
  ...overrides,
});

async function postEvent(owner: TenantFixture, receiver: string, overrides: Record<string, unknown> = {}) {
  const response = await call("/api/v1/events", json(eventFor(receiver, overrides), owner.writer.headers));
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: { id: string } }).data.id;
}

/** One run of the delivery job for the tenant, as the cron job runs it. */
function deliver(tenantId: string) {
  const config = loadConfig(env);
  const { db } = openDatabase(config);
  return relayWebhooks(
    { db, config, logger: createLogger("error") },
    { tenantIds: [tenantId], budgetMs: 5_000 },
  );
}

const verify = (secret: string, hook: Hook) =>
  new Webhook(secret).verify(hook.body, hook.headers) as { id: string; type: string };

describe("create-webhook, get-webhook, list-webhooks: POST and GET /api/v1/webhooks", () => {
  it("subscribes an endpoint, shows the secret once, and lists it", async () => {
    const created = await subscribe(tenant, path());
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const read = await call(`/api/v1/webhooks/${created.id}`, { headers: tenant.admin.headers });
    const body = (await read.json()) as { data: Record<string, unknown> };
    expect(body.data).toMatchObject({ id: created.id, enabled: true, event_types: ["xzepr.event.created"] });
    expect(JSON.stringify(body)).not.toContain(created.secret);
    const list = await call("/api/v1/webhooks", { headers: tenant.admin.headers });
    expect(((await list.json()) as { data: { id: string }[] }).data.map((hook) => hook.id)).toContain(
      created.id,
    );
  });

  it("refuses filters naming another tenant's receiver or no group, and creates nothing", async () => {
    const other = await createTenant();
    const foreign = (await createReceiver(other)).id;
    const missingGroup = "01JAAAAAAAAAAAAAAAAAAAAAAA";
    const response = await call(
      "/api/v1/webhooks",
      json(
        {
          url: `${webhookReceiverUrl}${path()}`,
          event_types: ["xzepr.event.created", "xzepr.group.completed"],
          receiver_ids: [receiverId, foreign],
          group_ids: [missingGroup],
        },
        tenant.admin.headers,
      ),
    );
    const error = await expectError(response, 400, "VALIDATION_FAILED");
    expect(error.details?.map((detail) => detail.path)).toEqual(["receiver_ids.1", "group_ids.0"]);
    const created = await withDb((db) =>
      db.execute(sql`select count(*)::int as n from webhooks where ${foreign} = any(receiver_ids)`),
    );
    expect(created.rows[0]).toEqual({ n: 0 });
  });

  it.each([
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.7/hook",
    "http://localhost:9/hook",
    "http://[::1]:9/hook",
    "http://2130706433:9/hook",
    "ftp://hooks.example.com/x",
  ])("refuses %s (SSRF)", async (url) => {
    const response = await call(
      "/api/v1/webhooks",
      json({ url, event_types: ["xzepr.event.created"] }, tenant.admin.headers),
    );
    const error = await expectError(response, 400, "VALIDATION_FAILED");
    expect(error.details?.[0]?.path).toBe("url");
  });
});

describe("list-deliveries, delivery: GET /api/v1/webhooks/{id}/deliveries", () => {
  it("delivers every event as its CloudEvent, signed so that standardwebhooks verifies it", async () => {
    const hookPath = path();
    const hook = await subscribe(tenant, hookPath);
    const eventId = await postEvent(tenant, receiverId);
    const [first] = await waitFor(hookPath, 1);
    expect(first).toBeDefined();
    const cloudEvent = verify(hook.secret, first as Hook);
    expect(cloudEvent).toMatchObject({ id: eventId, type: "xzepr.event.created", specversion: "1.0" });
    expect(first?.headers["webhook-id"]).toBe(eventId);
    const deliveries = await call(`/api/v1/webhooks/${hook.id}/deliveries`, {
      headers: tenant.admin.headers,
    });
    const [delivery] = ((await deliveries.json()) as { data: Record<string, unknown>[] }).data;
    expect(delivery).toMatchObject({
      message_id: eventId,
      status: "delivered",
      attempts: 1,
      response_status: 200,
    });
    expect(delivery?.latency_ms).toEqual(expect.any(Number));
  });

  it("delivers completions to a group.completed subscription, and filters by receiver", async () => {
    const owner = await createTenant();
    const [member, other] = [(await createReceiver(owner)).id, (await createReceiver(owner)).id];
    const group = await call(
      "/api/v1/groups",
      json({ name: "g", type: "release", version: "1", event_receiver_ids: [member] }, owner.writer.headers),
    );
    const groupId = ((await group.json()) as { data: { id: string } }).data.id;
    const completions = path();
    const completionHook = await subscribe(owner, completions, {
      event_types: ["xzepr.group.completed"],
      group_ids: [groupId],
    });
    const filtered = path();
    await subscribe(owner, filtered, { receiver_ids: [member] });
    await postEvent(owner, other);
    await postEvent(owner, member);
    const [completion] = await waitFor(completions, 1);
    expect(verify(completionHook.secret, completion as Hook)).toMatchObject({
      type: "xzepr.group.completed",
    });
    const events = await waitFor(filtered, 1);
    await deliver(owner.id);
    expect((await received(filtered)).length).toBe(1);
    expect(events).toHaveLength(1);
  });

  it("retries 5xx with growing waits, under the same webhook-id, until delivered", async () => {
    const hookPath = path();
    await script(hookPath, [500, 503, 200]);
    const hook = await subscribe(tenant, hookPath);
    const eventId = await postEvent(tenant, receiverId);
    const hooks = await waitFor(hookPath, 3, () => deliver(tenant.id));
    expect(hooks).toHaveLength(3);
    expect(new Set(hooks.map((h) => h.headers["webhook-id"]))).toEqual(new Set([eventId]));
    for (const attempt of hooks) expect(verify(hook.secret, attempt).id).toBe(eventId);
    const [a, b, c] = hooks.map((h) => h.at) as [number, number, number];
    expect(c - b).toBeGreaterThan(b - a);
    const deliveries = await call(`/api/v1/webhooks/${hook.id}/deliveries`, {
      headers: tenant.admin.headers,
    });
    expect(((await deliveries.json()) as { data: Record<string, unknown>[] }).data[0]).toMatchObject({
      status: "delivered",
      attempts: 3,
    });
  });

  it("dead-letters a permanent failure at once; a retry from the queue redelivers with the same webhook-id", async () => {
    const owner = await createTenant();
    const receiver = (await createReceiver(owner)).id;
    const hookPath = path();
    await script(hookPath, [410, 200]);
    const hook = await subscribe(owner, hookPath);
    const eventId = await postEvent(owner, receiver);
    await waitFor(hookPath, 1);
    await deliver(owner.id);
    expect(await received(hookPath)).toHaveLength(1);
    const dlq = await call("/api/v1/admin/dlq", { headers: owner.admin.headers });
    const [letter] = ((await dlq.json()) as { data: { id: string; topic: string; key: string }[] }).data;
    expect(letter).toMatchObject({ topic: `webhook:${hook.id}`, key: eventId });
    const retry = await call(`/api/v1/admin/dlq/${letter?.id}/retry`, {
      method: "POST",
      headers: owner.admin.headers,
    });
    expect(retry.status).toBe(202);
    const hooks = await waitFor(hookPath, 2, () => deliver(owner.id));
    expect(hooks.map((h) => h.headers["webhook-id"])).toEqual([eventId, eventId]);
    expect(verify(hook.secret, hooks[1] as Hook).id).toBe(eventId);
  });

  it("disables an endpoint failing for the configured time, and tells its tenant in the audit log", async () => {
    const owner = await createTenant();
    const receiver = (await createReceiver(owner)).id;
    const hookPath = path();
    await script(hookPath, [500]);
    const hook = await subscribe(owner, hookPath);
    await withDb((db) =>
      db.execute(sql`update webhooks set failing_since = now() - interval '4 days' where id = ${hook.id}`),
    );
    await postEvent(owner, receiver);
    await waitFor(hookPath, 1);
    await deliver(owner.id);
    const read = await call(`/api/v1/webhooks/${hook.id}`, { headers: owner.admin.headers });
    expect(
      ((await read.json()) as { data: { enabled: boolean; disabled_reason: string } }).data,
    ).toMatchObject({
      enabled: false,
      disabled_reason: expect.stringContaining("failed"),
    });
    const audit = await call(`/api/v1/admin/audit?action=webhook.disabled&resource_id=${hook.id}`, {
      headers: owner.admin.headers,
    });
    expect(((await audit.json()) as { data: { actor: { type: string } }[] }).data).toEqual([
      expect.objectContaining({ actor: { type: "system", id: "system" } }),
    ]);
  });
});

describe("rotate-secret: POST /api/v1/webhooks/{id}/rotate-secret", () => {
  it("signs with the new and the previous secret during the overlap", async () => {
    const hookPath = path();
    const hook = await subscribe(tenant, hookPath);
    const rotated = await call(`/api/v1/webhooks/${hook.id}/rotate-secret`, {
      method: "POST",
      headers: tenant.admin.headers,
    });
    const body = ((await rotated.json()) as { data: { secret: string; previous_secret_expires_at: string } })
      .data;
    expect(body.secret).not.toBe(hook.secret);
    expect(new Date(body.previous_secret_expires_at).getTime()).toBeGreaterThan(Date.now());
    const eventId = await postEvent(tenant, receiverId);
    const [delivery] = await waitFor(hookPath, 1);
    expect(verify(body.secret, delivery as Hook).id).toBe(eventId);
    expect(verify(hook.secret, delivery as Hook).id).toBe(eventId);
  });
});

describe("test-webhook: POST /api/v1/webhooks/{id}/test", () => {
  it("sends a signed ping", async () => {
    const hookPath = path();
    const hook = await subscribe(tenant, hookPath);
    const response = await call(`/api/v1/webhooks/${hook.id}/test`, {
      method: "POST",
      headers: tenant.admin.headers,
    });
    expect(response.status).toBe(202);
    const [ping] = await waitFor(hookPath, 1);
    expect(verify(hook.secret, ping as Hook)).toMatchObject({
      type: "xzepr.webhook.ping",
      data: { webhook_id: hook.id },
    });
  });
});

describe("update-webhook, delete-webhook: PATCH and DELETE /api/v1/webhooks/{id}", () => {
  it("stops deliveries when disabled, refuses an SSRF target, and deletes", async () => {
    const hookPath = path();
    const hook = await subscribe(tenant, hookPath);
    const patch = (body: unknown) =>
      call(`/api/v1/webhooks/${hook.id}`, { ...json(body, tenant.admin.headers), method: "PATCH" });
    expect((await patch({ enabled: false })).status).toBe(200);
    await postEvent(tenant, receiverId);
    await deliver(tenant.id);
    expect(await received(hookPath)).toEqual([]);
    await expectError(await patch({ url: "http://192.168.0.1/x" }), 400, "VALIDATION_FAILED");
    const deleted = await call(`/api/v1/webhooks/${hook.id}`, {
      method: "DELETE",
      headers: tenant.admin.headers,
    });
    expect(deleted.status).toBe(204);
    await expectError(
      await call(`/api/v1/webhooks/${hook.id}`, { headers: tenant.admin.headers }),
      404,
      "NOT_FOUND",
    );
  });
});
