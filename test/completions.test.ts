// Group completion (API.md "Completion rule"): exactly one completion per transition to
// all-green for an artifact key, even when the last events arrive concurrently.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { groupCompletions, outbox } from "../src/db/schema";
import { answerOf, api, expectStatus } from "./client";
import {
  artifact,
  createReceiver,
  createTenant,
  json,
  postEvent,
  type TenantFixture,
  UNLIMITED,
  withDb,
} from "./fixtures";
import { call } from "./helpers";

async function createGroup(tenant: TenantFixture, members: string[], enabled = true): Promise<string> {
  const response = await call(
    "/api/v1/groups",
    json(
      {
        name: `g-${crypto.randomUUID()}`,
        type: "release",
        version: "1",
        enabled,
        event_receiver_ids: members,
      },
      tenant.writer.headers,
    ),
  );
  return (await expectStatus(answerOf(api().api.v1.groups.$post, response), 201)).data.id;
}

const completionsOf = (tenantId: string, groupId: string) =>
  withDb((db) =>
    db
      .select()
      .from(groupCompletions)
      .where(and(eq(groupCompletions.tenantId, tenantId), eq(groupCompletions.groupId, groupId))),
  );

async function receivers(tenant: TenantFixture, count: number) {
  return Promise.all(
    Array.from({ length: count }, () => createReceiver(tenant).then((receiver) => receiver.id)),
  );
}

async function expectCreated(response: ReturnType<typeof postEvent>) {
  return (await expectStatus(await response, 201)).data.id;
}

describe("group completion", () => {
  it("completes once when every member's latest event for the key succeeded, with an outbox message", async () => {
    const tenant = await createTenant();
    const [a, b] = (await receivers(tenant, 2)) as [string, string];
    const group = await createGroup(tenant, [a, b]);
    const first = await expectCreated(postEvent(tenant, a));
    expect(await completionsOf(tenant.id, group)).toHaveLength(0);
    const second = await expectCreated(postEvent(tenant, b));

    const [completion, ...more] = await completionsOf(tenant.id, group);
    expect(more).toHaveLength(0);
    expect(completion).toMatchObject({
      name: "foo",
      version: "1.4.2",
      release: "1",
      platformId: "linux-amd64",
      package: "rpm",
    });
    expect(completion?.eventIds).toEqual([first, second].sort());
    // Listed by the API by the time POST /events returned.
    const listed = await api(tenant.reader.headers).api.v1.groups[":id"].completions.$get({
      param: { id: group },
      query: {},
    });
    expect((await expectStatus(listed, 200)).data.map((item) => item.id)).toEqual([completion?.id]);

    const messages = await withDb((db) => db.select().from(outbox).where(eq(outbox.tenantId, tenant.id)));
    const completed = messages.filter(
      (message) => (message.value as { type: string }).type === "xzepr.group.completed",
    );
    expect(completed).toHaveLength(1);
    expect(completed[0]?.value).toMatchObject({
      id: completion?.id,
      source: `xzepr/${tenant.id}/groups/${group}`,
    });
    expect(completed[0]?.key).toBe(`${tenant.id}:${b}`);

    // More green events on a complete key record nothing new.
    await expectCreated(postEvent(tenant, a));
    expect(await completionsOf(tenant.id, group)).toHaveLength(1);
  });

  it("keys completions by artifact: another version completes on its own", async () => {
    const tenant = await createTenant();
    const [a, b] = (await receivers(tenant, 2)) as [string, string];
    const group = await createGroup(tenant, [a, b]);
    await expectCreated(postEvent(tenant, a));
    await expectCreated(postEvent(tenant, b, { key: artifact({ version: "9.9.9" }) }));
    expect(await completionsOf(tenant.id, group)).toHaveLength(0);
    await expectCreated(postEvent(tenant, b));
    expect(await completionsOf(tenant.id, group)).toHaveLength(1);
  });

  it("records a new completion after a member fails and then succeeds again", async () => {
    const tenant = await createTenant();
    const [a, b] = (await receivers(tenant, 2)) as [string, string];
    const group = await createGroup(tenant, [a, b]);
    await expectCreated(postEvent(tenant, a));
    await expectCreated(postEvent(tenant, b));
    await expectCreated(postEvent(tenant, b, { success: false }));
    await expectCreated(postEvent(tenant, a));
    expect(await completionsOf(tenant.id, group)).toHaveLength(1);
    await expectCreated(postEvent(tenant, b));
    expect(await completionsOf(tenant.id, group)).toHaveLength(2);
  });

  it("never completes an empty or a disabled group", async () => {
    const tenant = await createTenant();
    const [a] = (await receivers(tenant, 1)) as [string];
    const empty = await createGroup(tenant, []);
    const disabled = await createGroup(tenant, [a], false);
    await expectCreated(postEvent(tenant, a));
    expect(await completionsOf(tenant.id, empty)).toHaveLength(0);
    expect(await completionsOf(tenant.id, disabled)).toHaveLength(0);
  });

  it("applies membership changes to events that arrive after them", async () => {
    const tenant = await createTenant();
    const [a, b] = (await receivers(tenant, 2)) as [string, string];
    const group = await createGroup(tenant, [a]);
    const put = await call(`/api/v1/groups/${group}/receivers`, {
      method: "PUT",
      headers: { ...tenant.writer.headers, "content-type": "application/json" },
      body: JSON.stringify({ event_receiver_ids: [a, b] }),
    });
    expect(put.status).toBe(200);
    await expectCreated(postEvent(tenant, a));
    expect(await completionsOf(tenant.id, group)).toHaveLength(0);
    await expectCreated(postEvent(tenant, b));
    expect(await completionsOf(tenant.id, group)).toHaveLength(1);
  });

  it("emits exactly one completion when a 5-member group's last events arrive in parallel (50 rounds)", {
    timeout: 180_000,
  }, async () => {
    const tenant = await createTenant();
    const members = await receivers(tenant, 5);
    const group = await createGroup(tenant, members);
    for (let round = 0; round < 50; round++) {
      const key = artifact({ version: `round-${round}` });
      const statuses = await Promise.all(
        members.map((member) => postEvent(tenant, member, { key }).then((r) => r.status)),
      );
      expect(statuses).toEqual([201, 201, 201, 201, 201]);
      const completions = (await completionsOf(tenant.id, group)).filter(
        (completion) => completion.version === key.version,
      );
      expect(completions, `round ${round}`).toHaveLength(1);
      expect(completions[0]?.eventIds).toHaveLength(5);
    }
  });

  it("records exactly one completion per key when 200 events of 50 keys arrive at once", {
    timeout: 120_000,
  }, async () => {
    const tenant = await createTenant({ settings: { ...UNLIMITED, max_in_flight: 1_000 } });
    const members = await receivers(tenant, 4);
    const group = await createGroup(tenant, members);
    const keys = Array.from({ length: 50 }, (_, index) => artifact({ version: `burst-${index}` }));
    // Every member's event of every key, all in flight together: 200 transactions contend for
    // 50 (group, key) locks, and each key turns all-green exactly once.
    const statuses = await Promise.all(
      keys.flatMap((key) =>
        members.map((member) => postEvent(tenant, member, { key }).then((r) => r.status)),
      ),
    );
    expect(statuses.filter((status) => status !== 201)).toEqual([]);
    const completions = await completionsOf(tenant.id, group);
    expect(completions.map((completion) => completion.version).sort()).toEqual(
      keys.map((key) => key.version).sort(),
    );
    for (const completion of completions) expect(completion.eventIds).toHaveLength(4);
    // Each completion has its one outbox message, keyed like the event that caused it.
    const messages = await withDb((db) =>
      db.select({ value: outbox.value, key: outbox.key }).from(outbox).where(eq(outbox.tenantId, tenant.id)),
    );
    const announced = messages
      .map((message) => message.value as { type: string; id: string })
      .filter((value) => value.type === "xzepr.group.completed")
      .map((value) => value.id)
      .sort();
    expect(announced).toEqual(completions.map((completion) => completion.id).sort());
  });
});
