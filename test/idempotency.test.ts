// Idempotency-Key (API.md "Headers") on POST routes, shown on event creation and API keys.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { events, idempotencyKeys } from "../src/db/schema";
import { artifact, createReceiver, createTenant, json, type TenantFixture, withDb } from "./fixtures";
import { call, expectError } from "./helpers";

let tenant: TenantFixture;
let receiverId: string;
beforeAll(async () => {
  tenant = await createTenant();
  receiverId = (await createReceiver(tenant)).id;
});

const eventBody = (size = 1) => ({
  ...artifact(),
  payload: { size },
  success: true,
  event_receiver_id: receiverId,
});
const post = (
  key: string,
  body: unknown,
  headers: Record<string, string> = tenant.writer.headers,
  path = "/api/v1/events",
) => call(path, json(body, { ...headers, "idempotency-key": key }));
const countEvents = () =>
  withDb(
    async (db) =>
      (await db.select({ id: events.id }).from(events).where(eq(events.tenantId, tenant.id))).length,
  );

describe("Idempotency-Key", () => {
  it("replays the first response for the same request, and creates nothing more", async () => {
    const before = await countEvents();
    const first = await post("key-1", eventBody());
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const again = await post("key-1", eventBody());
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(await again.text()).toBe(firstBody);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await countEvents()).toBe(before + 1);
  });

  it("answers 422 for the same key with another body or path", async () => {
    expect((await post("key-2", eventBody(1))).status).toBe(201);
    await expectError(await post("key-2", eventBody(2)), 422, "IDEMPOTENCY_KEY_REUSED");
    const receiver = { name: "r", type: "t", version: "1", schema: { type: "object" } };
    await expectError(
      await post("key-2", receiver, tenant.writer.headers, "/api/v1/receivers"),
      422,
      "IDEMPOTENCY_KEY_REUSED",
    );
  });

  it("answers 409 while the first request is still running", async () => {
    // The first request's claim, as its isolate leaves it while the handler runs.
    const body = JSON.stringify(eventBody(7));
    const hash = async (text: string) =>
      Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))), (b) =>
        b.toString(16).padStart(2, "0"),
      ).join("");
    const requestHash = await hash(`POST /api/v1/events\n${await hash(body)}`);
    await withDb((db) =>
      db.insert(idempotencyKeys).values({
        tenantId: tenant.id,
        principalId: tenant.writer.id,
        key: "key-3",
        requestHash,
        expiresAt: new Date(Date.now() + 60_000),
      }),
    );
    await expectError(await post("key-3", eventBody(7)), 409, "CONFLICT");
  });

  it("does not keep 409 and 5xx answers, but keeps 4xx validation answers", async () => {
    const invalid = { ...eventBody(), payload: { size: "x" } };
    await expectError(await post("key-4", invalid), 400, "VALIDATION_FAILED");
    const replayed = await post("key-4", invalid);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.status).toBe(400);
  });

  it("is scoped per principal", async () => {
    const other = await tenant.actor("writer");
    expect((await post("shared-key", eventBody(1))).status).toBe(201);
    const second = await post("shared-key", eventBody(2), other.headers);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 400 for a key over 255 characters", async () => {
    await expectError(await post("k".repeat(256), eventBody()), 400, "BAD_REQUEST");
  });
});
