// OpenTelemetry export over OTLP/HTTP JSON to a strict local receiver (scripts/lib/otlp-receiver.ts):
// the server span has the ids the response and the logs name, its children are the request's
// queries, Durable Object calls and Kafka sends; sampling follows the caller; a failing collector
// costs the request nothing. And the structured logs: no credential or personal data in them.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { ReceivedSpan } from "../scripts/lib/otlp-receiver";
import { createApp } from "../src/app";
import { runScheduled } from "../src/jobs/scheduled";
import { artifact, createReceiver, createTenant, json, type TenantFixture } from "./fixtures";
import { call, callApp } from "./helpers";

const { otlpUrl } = inject("stack");
const OTEL = {
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=k%3D1",
  OTEL_RESOURCE_ATTRIBUTES: "service.namespace=ci",
};
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const ERROR = 2;

type Span = Omit<ReceivedSpan, "startTimeUnixNano" | "endTimeUnixNano"> & {
  startTimeUnixNano: string;
  endTimeUnixNano: string;
};

async function spansOf(traceId: string): Promise<Span[]> {
  const response = await fetch(`${otlpUrl}/_otlp/spans?trace_id=${traceId}`);
  return (await response.json()) as Span[];
}

const rejections = async () => (await fetch(`${otlpUrl}/_otlp/rejections`)).json();

/** The trace id and span id the response names in `traceresponse`. */
function traceOf(response: Response): { traceId: string; spanId: string; flags: string } {
  const [, traceId = "", spanId = "", flags = ""] = (response.headers.get("traceresponse") ?? "").split("-");
  return { traceId, spanId, flags };
}

const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");

describe("trace export over OTLP/HTTP", () => {
  const app = createApp();
  let tenant: TenantFixture;
  let receiverId: string;

  beforeAll(async () => {
    tenant = await createTenant();
    receiverId = (await createReceiver(tenant)).id;
  });
  afterEach(() => vi.restoreAllMocks());

  const postEvent = (headers: Record<string, string>, bindings: Record<string, string> = OTEL) =>
    callApp(
      app,
      "/api/v1/events",
      json(
        {
          ...artifact(),
          description: "secret-description",
          payload: { size: 7 },
          success: true,
          event_receiver_id: receiverId,
        },
        { ...tenant.writer.headers, ...headers },
      ),
      bindings,
    );

  it("exports the request as a server span with the traceresponse ids, and its calls as child spans", async () => {
    const callerTrace = randomHex(16);
    const callerSpan = randomHex(8);
    const response = await postEvent({ traceparent: `00-${callerTrace}-${callerSpan}-01` });
    expect(response.status).toBe(201);
    const { traceId, spanId } = traceOf(response);
    expect(traceId).toBe(callerTrace);

    const spans = await spansOf(traceId);
    const server = spans.find((span) => span.spanId === spanId);
    expect(server).toMatchObject({
      parentSpanId: callerSpan,
      name: "POST /api/v1/events",
      kind: SERVER,
      status: { code: 0 },
      attributes: {
        "http.request.method": "POST",
        "http.route": "/api/v1/events",
        "http.response.status_code": 201,
        "xzepr.request_id": response.headers.get("x-request-id"),
        "xzepr.tenant_id": tenant.id,
      },
      resource: {
        "service.name": "xzepr-edge",
        "service.namespace": "ci",
        "deployment.environment.name": "test",
      },
      scope: "xzepr-edge",
      headers: { "x-collector-key": "k=1", "content-type": "application/json" },
    });

    const children = spans.filter((span) => span !== server);
    for (const child of children) {
      expect(child.parentSpanId).toBe(spanId);
      expect(BigInt(child.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(server?.startTimeUnixNano ?? 0));
    }
    const named = (name: string) => children.filter((span) => span.name === name);
    expect(named("TenantGate.pass")).toMatchObject([
      { kind: CLIENT, attributes: { "rpc.service": "TenantGate" } },
    ]);
    expect(named("TenantGate.leave")).toHaveLength(1);
    // The event, its outbox message and any completion: one round trip, one batch. (The outbox
    // publish after the response claims its rows in batches of its own.)
    const batches = named("BATCH").map((span) => String(span.attributes["db.query.text"]));
    expect(batches.filter((text) => text.includes("xzepr_ingest_event("))).toHaveLength(1);
    // The outbox publish after the response belongs to the trace too.
    expect(named("send xzepr.events")).toMatchObject([
      {
        kind: PRODUCER,
        status: { code: 0 },
        attributes: { "messaging.system": "kafka", "messaging.destination.name": "xzepr.events" },
      },
    ]);
    // Queries travel without their parameters.
    expect(JSON.stringify(spans)).not.toContain("secret-description");
    expect(await rejections()).toEqual([]);
  });

  it("says on the TenantGate.pass span who counted the rate limit", async () => {
    // A gate that has met the reader already: one call (a first meeting asks twice, see auth.ts).
    expect((await call("/api/v1/usage", { headers: tenant.reader.headers })).status).toBe(200);
    const response = await callApp(
      app,
      "/api/v1/usage",
      { headers: tenant.reader.headers },
      { ...OTEL, ...inject("stack").upstashBindings },
    );
    expect(response.status).toBe(200);
    const [admit, ...more] = (await spansOf(traceOf(response).traceId)).filter(
      (span) => span.name === "TenantGate.pass",
    );
    expect(more).toEqual([]);
    expect(admit).toMatchObject({ kind: CLIENT, status: { code: 0 } });
    // Another test file may have stopped Redis just now: then the gate's own windows decided.
    expect(["redis", "gate"]).toContain(admit?.attributes["xzepr.ratelimit.source"]);
  });

  it("follows the caller's sampling decision, and samples new traces at OTEL_TRACES_SAMPLER_ARG", async () => {
    const unsampled = await postEvent({ traceparent: `00-${randomHex(16)}-${randomHex(8)}-00` });
    expect(unsampled.status).toBe(201);
    expect(traceOf(unsampled).flags).toBe("00");
    expect(await spansOf(traceOf(unsampled).traceId)).toEqual([]);

    const none = await postEvent({}, { ...OTEL, OTEL_TRACES_SAMPLER_ARG: "0" });
    expect(none.status).toBe(201);
    expect(traceOf(none).flags).toBe("00");
    expect(await spansOf(traceOf(none).traceId)).toEqual([]);

    const fresh = await postEvent({});
    expect(traceOf(fresh).flags).toBe("01");
    expect((await spansOf(traceOf(fresh).traceId)).length).toBeGreaterThan(3);
  });

  it("marks failed queries and failed requests as errors, by class only", async () => {
    // A duplicate receiver: the INSERT fails with a unique violation, the request answers 409.
    const name = `dup-${randomHex(4)}`;
    const body = { name, type: "ci.test", version: "1.0.0", schema: { type: "object" } };
    const create = () => callApp(app, "/api/v1/receivers", json(body, tenant.writer.headers), OTEL);
    expect((await create()).status).toBe(201);
    const conflict = await create();
    expect(conflict.status).toBe(409);
    const spans = await spansOf(traceOf(conflict).traceId);
    expect(spans.find((span) => span.kind === SERVER)?.status).toEqual({ code: 0 });
    expect(spans.filter((span) => span.status.code === ERROR)).toMatchObject([
      { name: "INSERT", status: { code: ERROR, message: "SQLSTATE 23505" } },
    ]);

    // A database that cannot be reached: the request fails, and its server span says so.
    const down = await callApp(
      app,
      "/api/v1/receivers",
      { headers: tenant.reader.headers },
      { ...OTEL, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" },
    );
    expect(down.status).toBe(503);
    const server = (await spansOf(traceOf(down).traceId)).find((span) => span.kind === SERVER);
    expect(server).toMatchObject({ status: { code: ERROR, message: "503" } });
  });

  it("traces the cron run as a server span with its queries", async () => {
    // Without Kafka the relay step sends nothing, so this run cannot disturb other tests' outboxes.
    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => logs.push(line));
    await runScheduled({ ...env, ...OTEL, KAFKA_REST_URL: "", LOG_LEVEL: "info" }, new Date());
    const traceId = (JSON.parse(logs[0] ?? "{}") as { trace_id?: string }).trace_id ?? "";
    const spans = await spansOf(traceId);
    const root = spans.find((span) => span.name === "scheduled");
    expect(root).toMatchObject({
      kind: SERVER,
      attributes: { "faas.trigger": "timer" },
      status: { code: 0 },
    });
    expect(root?.spanId).toBe((JSON.parse(logs[0] ?? "{}") as { span_id?: string }).span_id);
    expect(spans.filter((span) => span.name === "DELETE").length).toBeGreaterThanOrEqual(2);
  });

  it("warns when the collector reports rejected spans, and takes an answer that is not JSON", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    const answers = ['{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}', "ok"];
    try {
      for (const answer of answers) {
        await fetch(`${otlpUrl}/_otlp/mode`, {
          method: "PUT",
          body: JSON.stringify({ status: 200, answer }),
        });
        expect((await postEvent({}, { ...OTEL, LOG_LEVEL: "info" })).status).toBe(201);
      }
    } finally {
      await fetch(`${otlpUrl}/_otlp/mode`, { method: "PUT", body: JSON.stringify({ status: 200 }) });
    }
    const notes = lines
      .map((line) => JSON.parse(line) as { msg: string; rejected?: number })
      .filter((line) => line.msg.includes("collector") || line.msg.includes("trace export"));
    expect(notes).toMatchObject([{ msg: "collector rejected spans", rejected: 2 }]);
  });

  it("a failing collector changes no response; each failed export is one warning", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    await fetch(`${otlpUrl}/_otlp/mode`, { method: "PUT", body: JSON.stringify({ status: 503 }) });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await postEvent({}, { ...OTEL, LOG_LEVEL: "warn" });
        expect(response.status).toBe(201);
        expect(await spansOf(traceOf(response).traceId)).toEqual([]);
      }
    } finally {
      await fetch(`${otlpUrl}/_otlp/mode`, { method: "PUT", body: JSON.stringify({ status: 200 }) });
    }
    const warnings = lines
      .map((line) => JSON.parse(line) as { msg: string; reason?: string })
      .filter((line) => line.msg === "trace export failed");
    expect(warnings).toMatchObject([
      { reason: "collector answered 503" },
      { reason: "collector answered 503" },
    ]);
    expect(lines.join("\n")).not.toContain("k=1");
  });
});

describe("logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("hold no token, API key or email in clear, from a request that carried all three", async () => {
    const tenant = await createTenant();
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => lines.push(line));
    const email = "jane.doe@example.com";
    // The app at LOG_LEVEL info (the tests' Worker logs errors only), in this isolate.
    const response = await callApp(
      createApp(),
      `/api/v1/receivers/${email}`,
      {
        headers: {
          ...tenant.admin.headers,
          "x-api-key": tenant.apiKey.key,
          "cf-connecting-ip": "198.51.100.23",
        },
      },
      { LOG_LEVEL: "info" },
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    const logged = lines.join("\n");
    expect(logged).toContain(response.headers.get("x-request-id") ?? "missing");
    expect(logged).not.toContain(tenant.admin.token);
    expect(logged).not.toContain(tenant.apiKey.key);
    expect(logged).not.toContain(email);
    expect(logged).not.toContain("198.51.100.23");
    expect(logged).toContain("***@example.com");
  });
});
