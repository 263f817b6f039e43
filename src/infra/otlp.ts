// OpenTelemetry trace export over OTLP/HTTP with JSON encoding
// (https://opentelemetry.io/docs/specs/otlp/#otlphttp). One POST per request or cron run, after
// the response, once the spans of its background work have ended. Behind a per-isolate circuit
// breaker: a failing collector costs no latency and a few log lines, never a request.
import type { Config } from "../env";
import type { Logger } from "../lib/logger";
import type { TraceContext } from "../lib/trace";
import { type Attributes, errorKind, type SpanRecord, Tracer } from "../lib/tracing";
import { CircuitBreaker } from "./circuit-breaker";

/** How long an export waits for background work (outbox publishing) to end its spans. */
const DRAIN_MS = 15_000;
const SCOPE = { name: "xzepr-edge" };
const KIND = { server: 2, client: 3, producer: 4 } as const;
const STATUS = { unset: 0, error: 2 } as const;

/** The traces URL: the signal-specific endpoint as given, or the base endpoint plus `/v1/traces`. */
export function tracesEndpoint(config: Config): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
}

/** A recording tracer when an endpoint is configured and the trace is sampled; a no-op otherwise. */
export function tracerFor(config: Config, trace: TraceContext): Tracer {
  const sampled = (Number.parseInt(trace.flags, 16) & 1) === 1;
  return tracesEndpoint(config) && sampled ? new Tracer(trace) : new Tracer();
}

function anyValue(value: string | number | boolean) {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  // int64 is a decimal string in OTLP JSON.
  return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

function keyValues(attributes: Attributes) {
  return Object.entries(attributes).flatMap(([key, value]) =>
    value === undefined ? [] : [{ key, value: anyValue(value) }],
  );
}

const unixNano = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();

/** The ExportTraceServiceRequest body: ids in hex, times as decimal strings, enums as numbers. */
export function encodeSpans(resource: Attributes, spans: SpanRecord[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [
          {
            scope: SCOPE,
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: KIND[span.kind],
              startTimeUnixNano: unixNano(span.startMs),
              endTimeUnixNano: unixNano(span.endMs),
              attributes: keyValues(span.attributes),
              status: {
                code: STATUS[span.status.code],
                ...(span.status.message ? { message: span.status.message } : {}),
              },
            })),
          },
        ],
      },
    ],
  };
}

function resourceOf(config: Config): Attributes {
  return {
    "deployment.environment.name": config.ENVIRONMENT,
    ...config.OTEL_RESOURCE_ATTRIBUTES,
    "service.name": config.OTEL_SERVICE_NAME,
  };
}

const breakers = new Map<string, CircuitBreaker>();

function breakerFor(url: string): CircuitBreaker {
  let breaker = breakers.get(url);
  if (!breaker) {
    breaker = new CircuitBreaker({ threshold: 5, openMs: 30_000 });
    breakers.set(url, breaker);
  }
  return breaker;
}

/** Spans a collector's 2xx answer says it dropped (`partialSuccess`); 0 when it says nothing. */
function rejectedSpans(answer: string): number {
  try {
    const body = JSON.parse(answer) as { partialSuccess?: { rejectedSpans?: string | number } };
    return Number(body.partialSuccess?.rejectedSpans ?? 0) || 0;
  } catch {
    return 0; // An empty or non-JSON answer: accepted, nothing to report.
  }
}

/** Sends the tracer's spans once its work is done; never throws. Hand it to waitUntil. */
export async function exportTrace(config: Config, tracer: Tracer, logger: Logger): Promise<void> {
  const url = tracesEndpoint(config);
  if (!url || !tracer.recording) return;
  const spans = await tracer.drain(DRAIN_MS);
  const breaker = breakerFor(url);
  if (spans.length === 0 || !breaker.allows(Date.now())) return;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { ...config.OTEL_EXPORTER_OTLP_HEADERS, "content-type": "application/json" },
      body: JSON.stringify(encodeSpans(resourceOf(config), spans)),
      signal: AbortSignal.timeout(config.OTEL_EXPORTER_OTLP_TIMEOUT),
    });
    const answer = await response.text();
    if (!response.ok) throw new Error(`collector answered ${response.status}`);
    if (breaker.succeeded()) logger.info("trace export resumed");
    const rejected = rejectedSpans(answer);
    if (rejected > 0) logger.warn("collector rejected spans", { rejected });
  } catch (error) {
    const opened = breaker.failed(Date.now());
    logger.warn("trace export failed", {
      reason:
        error instanceof Error && error.message.startsWith("collector") ? error.message : errorKind(error),
      spans: spans.length,
      ...(opened ? { paused_ms: 30_000 } : {}),
    });
  }
}
