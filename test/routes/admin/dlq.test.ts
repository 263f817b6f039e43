// The dead-letter queue routes (src/routes/admin/dlq/): list, retry one, retry all, discard; and
// the `npm run dlq` CLI over the same routes. Every route's 401 and 403 cases are in the security
// matrix (test/security.test.ts).
import { SELF } from "cloudflare:test";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runDlqCommand } from "../../../scripts/lib/dlq-client";
import { auditLogs, deadLetters } from "../../../src/db/schema";
import { api, expectStatus } from "../../client";
import { createReceiver, createTenant, postEvent, withDb } from "../../fixtures";
import { BASE, expectError } from "../../helpers";
import { eventually, pendingRows, received, relay, sinkMode } from "../../outbox";

describe("list-dead-letters, retry-dead-letter, retry-all-dead-letters, discard-dead-letter", () => {
  it("dead-letters a message the broker refuses every time, and delivers it after a retry from the API or the CLI", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    await sinkMode(tenant, { mode: "record-error" });
    for (let i = 0; i < 2; i++) expect((await postEvent(tenant, receiver.id)).status).toBe(201);
    const limits = { OUTBOX_MAX_ATTEMPTS: "3" };
    for (let round = 0; round < 200 && (await pendingRows(tenant)).length > 0; round++) {
      await relay(limits);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await pendingRows(tenant)).toEqual([]);

    const dlq = (headers: Record<string, string>) => api(headers).api.v1.admin.dlq;
    const letters = (await expectStatus(await dlq(tenant.admin.headers).$get({ query: {} }), 200)).data;
    expect(letters).toHaveLength(2);
    for (const letter of letters) {
      expect(letter).toMatchObject({ key: `${tenant.id}:${receiver.id}`, attempts: 3 });
      expect(letter.last_error).toMatch(/error_code 40403/);
    }
    // Another tenant's admin sees none of them, and cannot retry them.
    const other = await createTenant();
    expect((await expectStatus(await dlq(other.admin.headers).$get({ query: {} }), 200)).data).toEqual([]);
    const [viaApi, viaCli] = letters;
    if (!viaApi || !viaCli) throw new Error("two dead letters expected");
    const retry = (headers: Record<string, string>) =>
      dlq(headers)[":id"].retry.$post({ param: { id: viaApi.id } });
    await expectError(await retry(other.admin.headers), 404, "NOT_FOUND");

    await sinkMode(tenant, { mode: "ok" });
    expect(await expectStatus(await retry(tenant.admin.headers), 202)).toEqual({ data: { requeued: 1 } });

    const printed: string[] = [];
    const cli = (args: string[]) =>
      runDlqCommand(args, {
        url: BASE,
        headers: { ...tenant.apiKey.headers, "cf-connecting-ip": "198.51.100.7" },
        fetch: (input, init) => SELF.fetch(input, init),
        print: (line) => printed.push(line),
      });
    expect(await cli(["list"])).toBe(0);
    expect(printed.join("\n")).toContain(viaCli.id);
    expect(await cli(["retry", viaCli.id])).toBe(0);
    expect(printed.at(-1)).toBe("requeued 1 message(s)");
    expect(await cli(["retry", viaCli.id])).toBe(1); // gone from the queue now
    expect(await cli(["retry"])).toBe(2);

    const delivered = await eventually(
      () => received(tenant),
      (records) => records.length === 2,
    );
    expect(delivered).toHaveLength(2);
    expect(
      await withDb((db) => db.select().from(deadLetters).where(eq(deadLetters.tenantId, tenant.id))),
    ).toEqual([]);

    const audit = await withDb((db) =>
      db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.tenantId, tenant.id), eq(auditLogs.action, "dlq.retry"))),
    );
    expect(audit.map((entry) => entry.resourceId).sort()).toEqual([viaApi.id, viaCli.id].sort());
    expect(audit.find((entry) => entry.resourceId === viaCli.id)).toMatchObject({
      actorType: "api_key",
      actorId: tenant.apiKey.id,
      outcome: "success",
      ip: "198.51.100.0",
    });
  });

  it("retries all dead letters at once and discards one, both audited", async () => {
    const tenant = await createTenant();
    const receiver = await createReceiver(tenant);
    await sinkMode(tenant, { mode: "record-error" });
    for (let i = 0; i < 3; i++) expect((await postEvent(tenant, receiver.id)).status).toBe(201);
    for (let round = 0; round < 200 && (await pendingRows(tenant)).length > 0; round++) {
      await relay({ OUTBOX_MAX_ATTEMPTS: "1" });
    }
    const letters = await withDb((db) =>
      db.select().from(deadLetters).where(eq(deadLetters.tenantId, tenant.id)),
    );
    expect(letters).toHaveLength(3);

    const dlq = api(tenant.admin.headers).api.v1.admin.dlq;
    const discard = () => dlq[":id"].$delete({ param: { id: letters[0]?.id ?? "" } });
    expect((await discard()).status).toBe(204);
    await expectError(await discard(), 404, "NOT_FOUND");

    await sinkMode(tenant, { mode: "ok" });
    expect(await expectStatus(await dlq["retry-all"].$post(), 202)).toEqual({ data: { requeued: 2 } });
    await eventually(
      () => received(tenant),
      (records) => records.length === 2,
    );
    const actions = await withDb((db) =>
      db
        .select({ action: auditLogs.action, resourceId: auditLogs.resourceId })
        .from(auditLogs)
        .where(and(eq(auditLogs.tenantId, tenant.id), sql`${auditLogs.action} like 'dlq.%'`)),
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: "dlq.discard", resourceId: letters[0]?.id },
        { action: "dlq.retry_all", resourceId: null },
      ]),
    );
    expect(actions).toHaveLength(2); // the refused second discard wrote nothing
  });
});
