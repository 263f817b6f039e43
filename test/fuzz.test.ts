// Property-based fuzzing (fast-check) of every operation of the served OpenAPI document: its path
// parameters, query parameters, headers and JSON body, and the body's bytes themselves (deep
// nesting, numbers parsing would alter, unicode edge cases, duplicate and prototype keys, invalid
// UTF-8, truncation). Invariants, on every input: never a 5xx; every refusal in the error envelope
// with the response's request id; a refused write changes no row of any table (counted before and
// after); an accepted event's payload reads back equal to what was sent. Every response is also
// checked against the document (test/contract.ts). The seed is printed on a failure: rerun it with
// FUZZ_SEED=<seed>.
import { env } from "cloudflare:test";
import canonicalize from "canonicalize";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import * as schema from "../src/db/schema";
import { artifact, createReceiver, createTenant, type TenantFixture, withDb } from "./fixtures";
import { BASE, errorOf, sendToApp } from "./helpers";

type Schema = { $ref?: string; properties?: Record<string, Schema>; type?: unknown };
type Parameter = { in: string; name: string };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : undefined;
/** Generated inputs this file ran (a case, whatever requests it took); the floor is 10,000 per run. */
let inputs = 0;

const app = createApp();
let tenant: TenantFixture;
let headers: Record<string, string>;
let receiverId: string;
let document: Document;

beforeAll(async () => {
  tenant = await createTenant();
  // A platform admin of the tenant: every operation's validation is reached, none stops at 403.
  headers = (await tenant.actor("platform_admin")).headers;
  receiverId = (await createReceiver(tenant, { schema: { type: "object" } })).id;
  document = (await (await send(new Request(`${BASE}/openapi.json`))).json()) as Document;
});

afterAll(() => {
  // biome-ignore lint/suspicious/noConsole: the number of inputs is this suite's report
  console.log(`[fuzz] ${inputs} generated inputs, ${sent} requests`);
  expect(inputs).toBeGreaterThanOrEqual(10_000);
});

/** Inputs sent at once: the app serves them concurrently, as it would a client's. */
const BATCH = 8;

/** One request through the app, after-response work included, from one of 64 client addresses. */
let sent = 0;
async function send(request: Request): Promise<Response> {
  sent++;
  request.headers.set("cf-connecting-ip", `fuzz-${sent % 64}`);
  return sendToApp(app, request);
}

const WRITE_TABLES = [
  schema.principals,
  schema.apiKeys,
  schema.refreshTokens,
  schema.tenantUsage,
  schema.eventReceivers,
  schema.events,
  schema.receiverGroups,
  schema.groupMembers,
  schema.groupKeyStates,
  schema.groupCompletions,
  schema.outbox,
  schema.deadLetters,
  schema.auditLogs,
  schema.idempotencyKeys,
  schema.webhooks,
  schema.webhookDeliveries,
];

/** Rows of every table: the tenant's in each tenant-scoped table, and all tenants; one statement. */
async function rowCounts(): Promise<unknown> {
  const rows = await withDb((db) =>
    db.execute(
      sql`select ${sql.join(
        WRITE_TABLES.map(
          (table) => sql`(select count(*) from ${table} where ${table.tenantId} = ${tenant.id})`,
        ),
        sql`, `,
      )}, (select count(*) from ${schema.tenants}) as tenants`,
    ),
  );
  return rows.rows[0];
}

/** The invariants of any answer: no 5xx, and a refusal in the envelope with this response's id. */
async function expectSane(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  expect(response.status, `${what} → ${response.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  const json = response.headers.get("content-type")?.startsWith("application/json");
  if (response.status < 400) return text && json ? JSON.parse(text) : text;
  const body: unknown = JSON.parse(text);
  const error = errorOf(body);
  expect(typeof error?.code, what).toBe("string");
  expect(typeof error?.message, what).toBe("string");
  expect(error?.request_id, what).toBe(response.headers.get("x-request-id"));
  return body;
}

/**
 * Writes sent together: each answer sane, and when all are refused, every table as it was. A batch
 * with an accepted write skips the count (its rows are the accepted one's), which the generators
 * make rare.
 */
async function writes(batch: { request: Request; what: string }[]): Promise<number[]> {
  inputs += batch.length;
  const before = await rowCounts();
  const statuses = await Promise.all(
    batch.map(async ({ request, what }) => {
      const response = await send(request);
      await expectSane(response, what);
      return response.status;
    }),
  );
  if (statuses.every((status) => status >= 400))
    expect(await rowCounts(), `refused writes changed rows: ${batch.map((b) => b.what).join(" | ")}`).toEqual(
      before,
    );
  return statuses;
}

// ---- generators ------------------------------------------------------------------------------

/** Strings that break naive handling: NUL, lone surrogates, emoji, RTL, long, path and SQL tokens. */
const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "x\udfff",
    "\ud83d\ude00",
    "\u202e",
    "\ufeff",
    "%00",
    "../../etc/passwd",
    "' OR 1=1 --",
    "__proto__",
    "constructor",
    "null",
    "a".repeat(300),
    "é".repeat(3000),
  ),
);

/** Number tokens as text: ones JSON.parse would alter (overflow, underflow, past 2^53) and ordinary ones. */
const numberToken = fc.oneof(
  fc.constantFrom(
    "1e400",
    "-1e400",
    "1e-400",
    "123456789012345678901234567890",
    "9007199254740993",
    "-0",
    "0.1",
    "1E2",
    "5e-324",
    "1.7976931348623157e308",
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc.bigInt().map(String),
);

/** JSON text with hostile leaves, duplicate and prototype keys, nested at most a few levels. */
const jsonText: fc.Arbitrary<string> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberToken,
    hostileString.map((s) => JSON.stringify(s)),
    fc.constantFrom("true", "false", "null"),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
  object: fc
    .array(
      fc.tuple(
        fc.oneof(hostileString, fc.constantFrom("__proto__", "constructor", "prototype", "a", "a")),
        tie("value"),
      ),
      { maxLength: 4 },
    )
    .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`),
})).value as fc.Arbitrary<string>;

/** Nesting around the 128-level limit, in arrays and objects. */
const deepText = fc
  .tuple(fc.integer({ min: 120, max: 3000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

/** Percent-encoded bytes: any byte sequence, including invalid UTF-8 and encoded NUL or slash. */
const encodedBytes = fc
  .uint8Array({ maxLength: 24 })
  .map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join(""));
const pathValue = fc.oneof(
  encodedBytes,
  fc.string({ unit: "grapheme", maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom("01ARZ3NDEKTSV4RRFFQ69G5FAV", "0".repeat(26), "%2e%2e", "..", "%ZZ", "%", "x".repeat(500)),
);

/** Header values a client may send (visible ASCII; workerd re-encodes others), plus look-alikes of real ones. */
const headerValue = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength: 80,
  }),
  fc.constantFrom(
    "",
    "*",
    '"abc"',
    'W/"x"',
    "Bearer",
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "Bearer a.b.c",
    "xzepr_live_abc",
    "application/json; charset=latin1",
    "text/plain",
    "00-00000000000000000000000000000000-0000000000000000-01",
    "x".repeat(300),
  ),
);

/** The concrete request path of an operation's template, each `{param}` a generated value. */
const concretePath = (template: string, values: string[]) => {
  let index = 0;
  return template.replace(/\{\w+\}/g, () => values[index++] ?? "x");
};

function operations(filter: (method: string, operation: Operation) => boolean) {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method, operation]) => filter(method, operation))
      .map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
}

function bodyProperties(operation: Operation): string[] {
  let body = operation.requestBody?.content["application/json"]?.schema;
  if (body?.$ref) body = document.components.schemas[body.$ref.split("/").pop() ?? ""];
  return Object.keys(body?.properties ?? {});
}

// ---- properties ------------------------------------------------------------------------------

/** `inputs` cases of `input`, sent BATCH at a time. */
const batches = <T>(input: fc.Arbitrary<T>) => fc.array(input, { minLength: BATCH, maxLength: BATCH });
const runs = (inputs: number) => ({ numRuns: Math.ceil(inputs / BATCH), seed, endOnFailure: true });

const QUERY_NAMES = [
  "page_size",
  "cursor",
  "name",
  "event_receiver_id",
  "success",
  "since",
  "action",
  "limit",
];

describe("fuzz: every operation", () => {
  it("survives generated path parameters, query parameters and headers (GET and DELETE)", async () => {
    const targets = operations((method) => method === "get" || method === "delete");
    expect(targets.length).toBeGreaterThan(20);
    const input = fc.record({
      target: fc.constantFrom(...targets),
      params: fc.array(pathValue, { minLength: 3, maxLength: 3 }),
      query: fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...QUERY_NAMES), hostileString.map(encodeURIComponentSafe)),
          fc.oneof(encodedBytes, hostileString.map(encodeURIComponentSafe)),
        ),
        { maxLength: 4 },
      ),
      extra: fc.dictionary(
        fc.constantFrom(
          "if-none-match",
          "if-match",
          "x-request-id",
          "accept",
          "traceparent",
          "idempotency-key",
        ),
        headerValue,
        { maxKeys: 3 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(batches(input), async (cases) => {
        const requests = cases.map(({ target: { path, method, operation }, params, query, extra }) => {
          // Declared query parameters by name first, so that their validation is reached.
          const declared = (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
          const search = query.map(([key, value], i) => `${declared[i] ?? key}=${value}`).join("&");
          const url = `${BASE}${concretePath(path, params)}${search ? `?${search}` : ""}`;
          return {
            request: new Request(url, { method, headers: { ...headers, ...extra } }),
            what: `${method} ${url}`,
          };
        });
        await writes(requests);
      }),
      runs(2900),
    );
  }, 600_000);

  it("survives generated JSON bodies of every request schema, changing nothing when refused", async () => {
    const targets = operations((_method, operation) => operation.requestBody !== undefined);
    expect(targets.length).toBeGreaterThan(8);
    const input = fc.record({
      target: fc.constantFrom(...targets),
      params: fc.array(pathValue, { minLength: 3, maxLength: 3 }),
      pick: fc.integer({ min: 0, max: 1000 }),
      values: fc.array(fc.tuple(fc.boolean(), fc.oneof(jsonText, deepText)), { minLength: 1, maxLength: 8 }),
      extraKey: fc.option(hostileString, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(batches(input), async (cases) => {
        const requests = cases.map(
          ({ target: { path, method, operation }, params, pick, values, extraKey }) => {
            // Each declared field present or not, with a generated value; sometimes an unknown one.
            const fields = bodyProperties(operation)
              .map((name, i) => [name, values[(pick + i) % values.length]] as const)
              .filter(([, entry]) => entry?.[0])
              .map(([name, entry]) => `${JSON.stringify(name)}:${entry?.[1]}`);
            if (extraKey !== undefined) fields.push(`${JSON.stringify(extraKey)}:1`);
            const body = `{${fields.join(",")}}`;
            // Path ids: sometimes the real receiver, so that handlers past their 404 are reached too.
            const url = `${BASE}${concretePath(
              path,
              params.map((value, i) => (pick % 3 === i ? receiverId : value)),
            )}`;
            const init = { method, headers: { ...headers, "content-type": "application/json" }, body };
            return { request: new Request(url, init), what: `${method} ${url} ${body.slice(0, 200)}` };
          },
        );
        await writes(requests);
      }),
      runs(3300),
    );
  }, 600_000);

  it("survives raw bodies: bytes, truncated JSON, invalid UTF-8, other media types, changing nothing", async () => {
    const targets = operations((_method, operation) => operation.requestBody !== undefined);
    const event = new TextEncoder().encode(
      JSON.stringify({
        name: "fuzz",
        version: "1",
        release: "1",
        platform_id: "p",
        package: "k",
        description: "d",
        success: true,
        event_receiver_id: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        payload: { a: [1, 2, { b: "c" }] },
      }),
    );
    const input = fc.record({
      target: fc.constantFrom(...targets),
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        // Truncated: every proper prefix of a valid body.
        fc.nat({ max: event.length - 1 }).map((cut) => event.slice(0, cut)),
        // One byte replaced by a byte that is not UTF-8 on its own.
        fc
          .tuple(fc.nat({ max: event.length - 1 }), fc.integer({ min: 0x80, max: 0xff }))
          .map(([at, byte]) => event.map((value, i) => (i === at ? byte : value))),
        jsonText.map((text) => new TextEncoder().encode(text)),
      ),
      contentType: fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin1",
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/merge-patch+json",
        "",
      ),
    });
    await fc.assert(
      fc.asyncProperty(batches(input), async (cases) => {
        const requests = cases.map(({ target: { path, method }, bytes, contentType }) => {
          const url = `${BASE}${concretePath(path, [receiverId, receiverId, receiverId])}`;
          const init = {
            method,
            headers: { ...headers, ...(contentType ? { "content-type": contentType } : {}) },
            body: bytes,
          };
          return {
            request: new Request(url, init),
            what: `${method} ${url} [${contentType}] ${bytes.length} bytes`,
          };
        });
        await writes(requests);
      }),
      runs(2200),
    );
  }, 600_000);

  it("survives generated credentials and request headers on a protected route", async () => {
    const input = fc.record({
      generated: fc.dictionary(
        fc.constantFrom(
          "authorization",
          "x-api-key",
          "x-request-id",
          "content-type",
          "idempotency-key",
          "traceparent",
          "tracestate",
          "origin",
          "accept",
        ),
        headerValue,
        { minKeys: 1, maxKeys: 5 },
      ),
      keepAuth: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(batches(input), async (cases) => {
        const requests = cases.map(({ generated, keepAuth }) => ({
          request: new Request(`${BASE}/api/v1/events`, {
            method: "POST",
            headers: { ...(keepAuth ? headers : {}), ...generated },
            body: JSON.stringify({ name: "x" }),
          }),
          what: `POST /api/v1/events ${JSON.stringify(generated).slice(0, 200)}`,
        }));
        await writes(requests);
      }),
      runs(1100),
    );
  }, 600_000);
});

describe("fuzz: accepted payloads", () => {
  it("reads back every accepted payload equal to what was sent", async () => {
    // Values the API must keep: finite numbers, integers a double holds, well-formed strings.
    const keptString = fc.string({ unit: "grapheme", maxLength: 20 }).filter((s) => !s.includes("\u0000"));
    const keptKey = keptString.filter((s) => s !== "__proto__");
    const kept: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.maxSafeInteger(),
        keptString,
        fc.boolean(),
        fc.constant(null),
        tie("array"),
        tie("object"),
      ),
      array: fc.array(tie("value"), { maxLength: 5 }),
      object: fc.dictionary(keptKey, tie("value"), { maxKeys: 5 }),
    })).value;
    await fc.assert(
      fc.asyncProperty(batches(fc.dictionary(keptKey, kept, { maxKeys: 6 })), async (payloads) => {
        inputs += payloads.length;
        await Promise.all(
          payloads.map(async (payload) => {
            const body = JSON.stringify({
              ...artifact(),
              success: true,
              event_receiver_id: receiverId,
              payload,
            });
            const init = {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body,
            };
            const response = await send(new Request(`${BASE}/api/v1/events`, init));
            const created = (await expectSane(response, `POST /api/v1/events ${body.slice(0, 300)}`)) as {
              data: { id: string; payload: unknown };
            };
            expect(response.status, body.slice(0, 300)).toBe(201);
            expect(canonicalize(created.data.payload)).toBe(canonicalize(payload));
            const read = await send(new Request(`${BASE}/api/v1/events/${created.data.id}`, { headers }));
            const stored = (await expectSane(read, "GET /api/v1/events/{id}")) as {
              data: { payload: unknown };
            };
            expect(canonicalize(stored.data.payload)).toBe(canonicalize(payload));
          }),
        );
      }),
      runs(600),
    );
  }, 600_000);
});

/** encodeURIComponent, with lone surrogates (which it refuses) sent as their WTF-8 bytes. */
function encodeURIComponentSafe(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value]
      .map((ch) => {
        const code = ch.codePointAt(0) ?? 0;
        if (code < 0xd800 || code > 0xdfff) return encodeURIComponent(ch);
        return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
      })
      .join("");
  }
}
