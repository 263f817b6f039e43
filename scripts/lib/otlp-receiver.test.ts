import { afterAll, describe, expect, it } from "vitest";
import { encodeSpans } from "../../src/infra/otlp";
import { parseTraceExport, startOtlpReceiver } from "./otlp-receiver";

/** What the official OpenTelemetry JS exporter sends (@opentelemetry/otlp-transformer 0.301.1, JsonTraceSerializer). */
const OFFICIAL_SDK_EXPORT = {
  resourceSpans: [
    {
      resource: {
        attributes: [{ key: "service.name", value: { stringValue: "my-service" } }],
        droppedAttributesCount: 0,
      },
      scopeSpans: [
        {
          scope: { name: "my-instrumentation", version: "1.2.3" },
          spans: [
            {
              traceId: "5b8efff798038103d269b633813fc60c",
              spanId: "eee19b7ec3c1b173",
              parentSpanId: "eee19b7ec3c1b174",
              name: "GET /users",
              kind: 2,
              startTimeUnixNano: "1700000000000000000",
              endTimeUnixNano: "1700000000250000000",
              attributes: [
                { key: "http.method", value: { stringValue: "GET" } },
                { key: "http.status_code", value: { intValue: 500 } },
                { key: "cache.hit", value: { boolValue: false } },
                { key: "ratio", value: { doubleValue: 0.75 } },
              ],
              droppedAttributesCount: 0,
              events: [],
              droppedEventsCount: 0,
              status: { code: 2, message: "boom" },
              links: [],
              droppedLinksCount: 0,
              flags: 769,
            },
          ],
        },
      ],
    },
  ],
};

const SPAN = {
  traceId: "5b8efff798038103d269b633813fc60c",
  spanId: "eee19b7ec3c1b175",
  parentSpanId: "eee19b7ec3c1b173",
  name: "SELECT",
  kind: "client" as const,
  startMs: 1_700_000_000_010,
  endMs: 1_700_000_000_200,
  attributes: { "db.query.text": "select 1", rows: 42, ratio: 1.5, ok: true, skipped: undefined },
  status: { code: "error" as const, message: "SQLSTATE 23505" },
};

function withSpan(change: Record<string, unknown>) {
  const body = structuredClone(OFFICIAL_SDK_EXPORT);
  Object.assign(body.resourceSpans[0]?.scopeSpans[0]?.spans[0] ?? {}, change);
  return body;
}

describe("parseTraceExport", () => {
  it("accepts what the official OpenTelemetry JS exporter sends", () => {
    const [span] = parseTraceExport(OFFICIAL_SDK_EXPORT);
    expect(span).toMatchObject({
      traceId: "5b8efff798038103d269b633813fc60c",
      parentSpanId: "eee19b7ec3c1b174",
      kind: 2,
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      attributes: { "http.status_code": 500, "cache.hit": false, ratio: 0.75 },
      status: { code: 2, message: "boom" },
      resource: { "service.name": "my-service" },
    });
  });

  it("reads back exactly what this service's encoder writes", () => {
    const [span, ...rest] = parseTraceExport(encodeSpans({ "service.name": "xzepr-edge" }, [SPAN]));
    expect(rest).toEqual([]);
    expect(span).toEqual({
      traceId: SPAN.traceId,
      spanId: SPAN.spanId,
      parentSpanId: SPAN.parentSpanId,
      name: "SELECT",
      kind: 3,
      startTimeUnixNano: 1_700_000_000_010_000_000n,
      endTimeUnixNano: 1_700_000_000_200_000_000n,
      attributes: { "db.query.text": "select 1", rows: 42, ratio: 1.5, ok: true },
      status: { code: 2, message: "SQLSTATE 23505" },
      resource: { "service.name": "xzepr-edge" },
      scope: "xzepr-edge",
      headers: {},
    });
  });

  it.each([
    ["a base64 id", { traceId: "W47/95gDgQPSabYzgT/GDA==" }, "traceId"],
    ["an all-zero span id", { spanId: "0000000000000000" }, "spanId"],
    ["an enum by name", { kind: "SPAN_KIND_SERVER" }, "kind"],
    ["a misspelt field", { startTimeUnixNanos: "1" }, "unknown field"],
    ["a time as a float", { endTimeUnixNano: 1.5 }, "endTimeUnixNano"],
    ["an end before the start", { endTimeUnixNano: "1" }, "ends before it starts"],
    ["a status code out of range", { status: { code: 3 } }, "status.code"],
    [
      "an attribute with two values",
      { attributes: [{ key: "a", value: { stringValue: "x", boolValue: true } }] },
      "exactly one",
    ],
  ])("refuses %s", (_name, change, fault) => {
    expect(() => parseTraceExport(withSpan(change))).toThrow(fault);
  });
});

describe("startOtlpReceiver", async () => {
  const receiver = await startOtlpReceiver({ port: 0 });
  afterAll(() => receiver.close());
  const post = (body: unknown, contentType = "application/json") =>
    fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": contentType, "x-collector-key": "k1" },
      body: JSON.stringify(body),
    });

  it("keeps accepted spans with the export's headers, and answers 400 to a malformed export", async () => {
    expect((await post(OFFICIAL_SDK_EXPORT)).status).toBe(200);
    const response = await fetch(`${receiver.url}/_otlp/spans?trace_id=5b8efff798038103d269b633813fc60c`);
    const spans = (await response.json()) as { headers: Record<string, string>; startTimeUnixNano: string }[];
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      headers: { "x-collector-key": "k1" },
      startTimeUnixNano: "1700000000000000000",
    });

    expect((await post(withSpan({ kind: "x" }))).status).toBe(400);
    expect((await post(OFFICIAL_SDK_EXPORT, "application/x-protobuf")).status).toBe(415);
    expect(receiver.rejections).toHaveLength(2);
  });

  it("fails every export while told to", async () => {
    await fetch(`${receiver.url}/_otlp/mode`, { method: "PUT", body: JSON.stringify({ status: 503 }) });
    expect((await post(OFFICIAL_SDK_EXPORT)).status).toBe(503);
    await fetch(`${receiver.url}/_otlp/mode`, { method: "PUT", body: JSON.stringify({ status: 200 }) });
    expect((await post(OFFICIAL_SDK_EXPORT)).status).toBe(200);
  });
});
