// A local OTLP/HTTP trace receiver for tests: takes JSON ExportTraceServiceRequests as a collector
// does (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), checks them strictly
// (no unknown fields, hex ids, 64-bit times as decimal strings or integers, enums as numbers) and
// keeps the spans it accepts. What it refuses answers 400 and is kept as a rejection.
//   POST /v1/traces                       an export
//   GET  /_otlp/spans[?trace_id=]          accepted spans, attributes flattened
//   GET  /_otlp/rejections                 refused exports, with the reason
//   PUT  /_otlp/mode                       {"status": 503} answers every export so; {"status": 200} heals;
//                                          {"status": 200, "answer": "…"}: keeps spans, answers that text
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

type Value = string | number | boolean | null | Value[] | Record<string, unknown>;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, Value>;
  status: { code: number; message?: string };
  resource: Record<string, Value>;
  scope: string;
  /** Headers of the export that carried the span. */
  headers: Record<string, string>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  rejections: string[];
  close(): Promise<void>;
}

class Invalid extends Error {}

type Json = Record<string, unknown>;

function object(value: unknown, path: string, allowed: string[]): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Invalid(`${path}: must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Invalid(`${path}.${key}: unknown field`);
  }
  return value as Json;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Invalid(`${path}: must be an array`);
  return value;
}

function hexId(value: unknown, bytes: number, path: string): string {
  if (
    typeof value !== "string" ||
    !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(value) ||
    /^0+$/.test(value)
  ) {
    throw new Invalid(`${path}: must be ${bytes * 2} lowercase hex digits, not all zero`);
  }
  return value;
}

/** A 64-bit integer: a decimal string or a JSON integer. */
function int64(value: unknown, path: string): bigint {
  if ((typeof value === "string" && /^-?\d+$/.test(value)) || Number.isSafeInteger(value)) {
    return BigInt(value as string | number);
  }
  throw new Invalid(`${path}: must be a 64-bit integer (decimal string or integer)`);
}

function enumNumber(value: unknown, max: number, path: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) {
    throw new Invalid(`${path}: must be an integer 0..${max}`);
  }
  return value as number;
}

function anyValue(value: unknown, path: string): Value {
  const fields = object(value, path, [
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
  ]);
  const keys = Object.keys(fields);
  if (keys.length !== 1) throw new Invalid(`${path}: must hold exactly one value`);
  const [key] = keys as [string];
  const item = fields[key];
  switch (key) {
    case "stringValue":
    case "bytesValue":
      if (typeof item !== "string") throw new Invalid(`${path}.${key}: must be a string`);
      return item;
    case "boolValue":
      if (typeof item !== "boolean") throw new Invalid(`${path}.boolValue: must be a boolean`);
      return item;
    case "intValue":
      return Number(int64(item, `${path}.intValue`));
    case "doubleValue":
      if (typeof item !== "number") throw new Invalid(`${path}.doubleValue: must be a number`);
      return item;
    case "arrayValue":
      return list(object(item, `${path}.arrayValue`, ["values"]).values, `${path}.arrayValue.values`).map(
        (entry, index) => anyValue(entry, `${path}.arrayValue.values[${index}]`),
      );
    default:
      return keyValues(object(item, `${path}.kvlistValue`, ["values"]).values, `${path}.kvlistValue.values`);
  }
}

function keyValues(value: unknown, path: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  list(value, path).forEach((entry, index) => {
    const pair = object(entry, `${path}[${index}]`, ["key", "value"]);
    if (typeof pair.key !== "string" || pair.key === "") {
      throw new Invalid(`${path}[${index}].key: must be a non-empty string`);
    }
    out[pair.key] = anyValue(pair.value, `${path}[${index}].value`);
  });
  return out;
}

const SPAN_FIELDS = [
  "traceId",
  "spanId",
  "traceState",
  "parentSpanId",
  "flags",
  "name",
  "kind",
  "startTimeUnixNano",
  "endTimeUnixNano",
  "attributes",
  "droppedAttributesCount",
  "events",
  "droppedEventsCount",
  "links",
  "droppedLinksCount",
  "status",
];

function span(value: unknown, path: string): Omit<ReceivedSpan, "resource" | "scope" | "headers"> {
  const fields = object(value, path, SPAN_FIELDS);
  if (typeof fields.name !== "string" || fields.name === "") {
    throw new Invalid(`${path}.name: must be a non-empty string`);
  }
  const start = int64(fields.startTimeUnixNano, `${path}.startTimeUnixNano`);
  const end = int64(fields.endTimeUnixNano, `${path}.endTimeUnixNano`);
  if (end < start) throw new Invalid(`${path}: ends before it starts`);
  const status = object(fields.status ?? {}, `${path}.status`, ["code", "message"]);
  if (status.message !== undefined && typeof status.message !== "string") {
    throw new Invalid(`${path}.status.message: must be a string`);
  }
  const parent = fields.parentSpanId;
  return {
    traceId: hexId(fields.traceId, 16, `${path}.traceId`),
    spanId: hexId(fields.spanId, 8, `${path}.spanId`),
    ...(parent === undefined || parent === ""
      ? {}
      : { parentSpanId: hexId(parent, 8, `${path}.parentSpanId`) }),
    name: fields.name,
    kind: enumNumber(fields.kind, 5, `${path}.kind`),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: keyValues(fields.attributes, `${path}.attributes`),
    status: {
      code: enumNumber(status.code, 2, `${path}.status.code`),
      ...(status.message ? { message: status.message as string } : {}),
    },
  };
}

/** The spans of one ExportTraceServiceRequest; throws `Invalid` with the first fault's path. */
export function parseTraceExport(body: unknown, headers: Record<string, string> = {}): ReceivedSpan[] {
  const request = object(body, "$", ["resourceSpans"]);
  return list(request.resourceSpans, "$.resourceSpans").flatMap((entry, r) => {
    const at = `$.resourceSpans[${r}]`;
    const resourceSpans = object(entry, at, ["resource", "scopeSpans", "schemaUrl"]);
    const resource = object(resourceSpans.resource ?? {}, `${at}.resource`, [
      "attributes",
      "droppedAttributesCount",
    ]);
    const resourceAttributes = keyValues(resource.attributes, `${at}.resource.attributes`);
    return list(resourceSpans.scopeSpans, `${at}.scopeSpans`).flatMap((item, s) => {
      const scopeAt = `${at}.scopeSpans[${s}]`;
      const scopeSpans = object(item, scopeAt, ["scope", "spans", "schemaUrl"]);
      const scope = object(scopeSpans.scope ?? {}, `${scopeAt}.scope`, [
        "name",
        "version",
        "attributes",
        "droppedAttributesCount",
      ]);
      return list(scopeSpans.spans, `${scopeAt}.spans`).map((raw, index) => ({
        ...span(raw, `${scopeAt}.spans[${index}]`),
        resource: resourceAttributes,
        scope: String(scope.name ?? ""),
        headers,
      }));
    });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const json = (value: unknown) =>
  JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item));

export async function startOtlpReceiver(options: { port: number }): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejections: string[] = [];
  let mode: { status: number; answer?: string } = { status: 200 };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(json(body));
    const text = await readBody(req);
    if (req.method === "POST" && url.pathname === "/v1/traces") {
      if (mode.status !== 200) return reply(mode.status, { message: "receiver told to fail" });
      if (!req.headers["content-type"]?.startsWith("application/json")) {
        rejections.push(`content-type ${req.headers["content-type"]}`);
        return reply(415, { message: "only application/json is taken here" });
      }
      try {
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
        );
        spans.push(...parseTraceExport(JSON.parse(text), headers));
        if (mode.answer !== undefined) return res.writeHead(200).end(mode.answer);
        return reply(200, {});
      } catch (error) {
        rejections.push(String(error instanceof Error ? error.message : error));
        return reply(400, { message: String(error) });
      }
    }
    if (req.method === "GET" && url.pathname === "/_otlp/spans") {
      const traceId = url.searchParams.get("trace_id");
      return reply(200, traceId ? spans.filter((item) => item.traceId === traceId) : spans);
    }
    if (req.method === "GET" && url.pathname === "/_otlp/rejections") return reply(200, rejections);
    if (req.method === "PUT" && url.pathname === "/_otlp/mode") {
      mode = JSON.parse(text) as typeof mode;
      return reply(200, mode);
    }
    reply(404, { message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    rejections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
