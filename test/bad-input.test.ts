// Hostile input is refused with 400/415 in the error envelope and changes nothing: JSON nested past
// the limit, NUL and lone surrogates, numbers JSON.parse would alter, duplicate and `__proto__`
// keys, invalid UTF-8, other charsets, and receiver schemas that refer to themselves in place.
// Each case here answered 500, or stored something else than was sent, before the text guard.
import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { eventReceivers, events } from "../src/db/schema";
import { answerOf, api, expectStatus } from "./client";
import { artifact, createReceiver, createTenant, receiverBody, type TenantFixture, withDb } from "./fixtures";
import { call, expectError } from "./helpers";

let tenant: TenantFixture;
let receiver: { id: string };
beforeAll(async () => {
  tenant = await createTenant();
  receiver = await createReceiver(tenant, { schema: { type: "object" } });
});

/** POST with the exact body text (or bytes) given. */
const post = (path: string, body: string | Uint8Array, contentType = "application/json") =>
  call(path, {
    method: "POST",
    headers: { ...tenant.writer.headers, "content-type": contentType },
    body,
  });

/** An event body with `payloadText` spliced in verbatim as its payload. */
const eventText = (payloadText: string) =>
  `{${JSON.stringify({ ...artifact(), success: true, event_receiver_id: receiver.id }).slice(1, -1)},"payload":${payloadText}}`;

const rows = async () =>
  withDb(async (db) => ({
    events: (await db.select({ n: count() }).from(events).where(eq(events.tenantId, tenant.id)))[0]?.n,
    receivers: (
      await db.select({ n: count() }).from(eventReceivers).where(eq(eventReceivers.tenantId, tenant.id))
    )[0]?.n,
  }));

/** The event a 201 of create-event carries. */
const accepted = async (response: Response) =>
  (await expectStatus(answerOf(api().api.v1.events.$post, response), 201)).data;

async function refused(response: Response, status: number, code: string, path?: string) {
  const error = await expectError(response, status, code);
  if (path !== undefined) expect(error.details?.map((detail) => detail.path)).toContain(path);
}

describe("the text guard", () => {
  it("refuses JSON nested past 128 levels, in a payload and in a receiver schema", async () => {
    const before = await rows();
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    await refused(await post("/api/v1/events", eventText(`{"a":${deep}}`)), 400, "VALIDATION_FAILED");
    const schema = `${'{"items":'.repeat(5_000)}{}${"}".repeat(5_000)}`;
    const receiverText = `{"name":"deep","type":"ci","version":"1","schema":${schema}}`;
    await refused(await post("/api/v1/receivers", receiverText), 400, "VALIDATION_FAILED");
    // 128 levels in all are accepted: the limit is not off by one.
    const atLimit = `${"[".repeat(126)}${"]".repeat(126)}`;
    expect((await post("/api/v1/events", eventText(`{"a":${atLimit}}`))).status).toBe(201);
    expect((await rows()).receivers).toBe(before.receivers);
  });

  it("refuses NUL and lone surrogates, naming the field", async () => {
    const before = await rows();
    await refused(
      await post("/api/v1/receivers", JSON.stringify(receiverBody({ name: "a\u0000b" }))),
      400,
      "VALIDATION_FAILED",
      "name",
    );
    await refused(
      await post("/api/v1/events", eventText('{"tag":"\\ud800"}')),
      400,
      "VALIDATION_FAILED",
      "payload.tag",
    );
    await refused(await post("/api/v1/events", eventText('{"\\u0000":1}')), 400, "VALIDATION_FAILED");
    await refused(
      await post("/api/v1/events", eventText('{"tag":"x\\udc00"}')),
      400,
      "VALIDATION_FAILED",
      "payload.tag",
    );
    await refused(
      await call("/api/v1/events?name=%00", { headers: tenant.reader.headers }),
      400,
      "VALIDATION_FAILED",
      "name",
    );
    // A well-formed pair is fine, and read back as sent.
    const pair = await post("/api/v1/events", eventText('{"tag":"\\ud83d\\ude00"}'));
    expect((await accepted(pair)).payload).toEqual({ tag: "😀" });
    expect((await rows()).events).toBe((before.events ?? 0) + 1);
  });

  it("refuses numbers that parsing would alter instead of storing something else", async () => {
    const before = await rows();
    for (const number of [
      "1e400",
      "-1e400",
      "1e-400",
      "123456789012345678901234567890",
      "9007199254740993",
    ]) {
      await refused(
        await post("/api/v1/events", eventText(`{"n":${number}}`)),
        400,
        "VALIDATION_FAILED",
        "payload.n",
      );
    }
    const exact = await post("/api/v1/events", eventText('{"n":9007199254740991,"f":0.1,"e":1e300}'));
    expect((await accepted(exact)).payload).toEqual({
      n: 9007199254740991,
      f: 0.1,
      e: 1e300,
    });
    expect((await rows()).events).toBe((before.events ?? 0) + 1);
  });

  it("refuses duplicate and __proto__ keys instead of dropping one", async () => {
    const before = await rows();
    await refused(
      await post("/api/v1/events", eventText('{"a":1,"a":2}')),
      400,
      "VALIDATION_FAILED",
      "payload.a",
    );
    await refused(
      await post("/api/v1/events", eventText('{"__proto__":{"x":1}}')),
      400,
      "VALIDATION_FAILED",
      "payload.__proto__",
    );
    const kept = await post("/api/v1/events", eventText('{"constructor":1,"prototype":2}'));
    expect((await accepted(kept)).payload).toEqual({
      constructor: 1,
      prototype: 2,
    });
    expect((await rows()).events).toBe((before.events ?? 0) + 1);
  });

  it("refuses bytes that are not UTF-8 (400) and other charsets (415)", async () => {
    const before = await rows();
    const text = eventText('{"tag":"caf_"}');
    const bytes = new TextEncoder().encode(text);
    bytes[bytes.indexOf("_".charCodeAt(0))] = 0xe9; // Latin-1 é: not UTF-8
    await refused(await post("/api/v1/events", bytes), 400, "BAD_REQUEST");
    await refused(
      await post("/api/v1/events", bytes, "application/json; charset=latin1"),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expect((await post("/api/v1/events", text, "application/json; charset=UTF-8")).status).toBe(201);
    expect((await rows()).events).toBe((before.events ?? 0) + 1);
  });
});

describe("receiver schemas that refer to themselves in place", () => {
  it.each([
    ["$ref to the root", { $ref: "#" }],
    ["allOf back to the root", { allOf: [{ $ref: "#" }] }],
    [
      "two definitions referring to each other",
      { $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" },
    ],
    ["not of itself", { $defs: { a: { not: { $ref: "#/$defs/a" } } }, $ref: "#/$defs/a" }],
  ])("refuses %s at creation", async (_name, schema) => {
    await refused(
      await post("/api/v1/receivers", JSON.stringify(receiverBody({ schema }))),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("accepts recursion that descends into the payload, and validates with it", async () => {
    const tree = {
      type: "object",
      properties: { children: { type: "array", items: { $ref: "#" } }, size: { type: "integer" } },
    };
    const created = await post("/api/v1/receivers", JSON.stringify(receiverBody({ schema: tree })));
    const { id } = (await expectStatus(answerOf(api().api.v1.receivers.$post, created), 201)).data;
    const body = (payload: unknown) =>
      JSON.stringify({ ...artifact(), success: true, event_receiver_id: id, payload });
    expect((await post("/api/v1/events", body({ children: [{ children: [{ size: 1 }] }] }))).status).toBe(
      201,
    );
    await refused(
      await post("/api/v1/events", body({ children: [{ children: [{ size: "x" }] }] })),
      400,
      "VALIDATION_FAILED",
    );
  });
});
