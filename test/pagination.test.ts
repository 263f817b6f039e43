// 10,000 events listed page by page come back each exactly once, newest first.
import { monotonicFactory } from "ulidx";
import { describe, expect, it } from "vitest";
import { events } from "../src/db/schema";
import { artifact, createReceiver, createTenant, withDb } from "./fixtures";
import { call } from "./helpers";

describe("GET /api/v1/events pagination", () => {
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
    let next: string | null = "/api/v1/events?page_size=200";
    let pages = 0;
    while (next) {
      const response = await call(next, { headers: tenant.reader.headers });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { data: { id: string }[]; links: { next: string | null } };
      seen.push(...page.data.map((event) => event.id));
      next = page.links.next;
      pages++;
    }
    expect(pages).toBe(50);
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    expect(seen).toEqual([...ids].reverse());
  });
});
