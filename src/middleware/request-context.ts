// First middleware: request id, trace context, configuration, logger, and the access log line.

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ulid } from "ulidx";
import type { AppEnv } from "../context";
import type { RequestMeta } from "../contracts/request";
import { systemClock } from "../domain/ports";
import { type Config, loadConfig } from "../env";
import { MetricsBatch } from "../infra/metrics";
import { exportTrace, tracerFor } from "../infra/otlp";
import { ConfigError } from "../lib/errors";
import { createLogger } from "../lib/logger";
import { maskPersonalData, truncateIp } from "../lib/privacy";
import { RoundTrips } from "../lib/round-trips";
import { continueTrace, formatTraceparent } from "../lib/trace";
import { Tracer } from "../lib/tracing";
import { AfterResponseQueue } from "./after-response";
import { handleError } from "./errors";

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Server-Timing with the round-trip counts: on unless configured off (default off in production). */
const serverTiming = (config: Config | undefined) =>
  config ? (config.SERVER_TIMING ?? (config.ENVIRONMENT === "production" ? "off" : "on")) === "on" : false;

export function requestContext() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = Date.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : ulid();
    let config: ReturnType<typeof loadConfig> | undefined;
    let configError: ConfigError | undefined;
    try {
      config = loadConfig(c.env ?? {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      configError = error;
    }
    const trace = continueTrace(
      c.req.header("traceparent"),
      c.req.header("tracestate"),
      config?.OTEL_TRACES_SAMPLER_ARG,
    );
    const logger = createLogger(config?.LOG_LEVEL ?? "info", {
      request_id: requestId,
      trace_id: trace.traceId,
      span_id: trace.spanId,
    });
    c.set("requestId", requestId);
    c.set("trace", trace);
    c.set("logger", logger);
    // Replaced by the route template once the route guard matches; a label, never a concrete path.
    c.set("route", "(unmatched)");

    const tracer = config ? tracerFor(config, trace) : new Tracer();
    c.set("tracer", tracer);
    const span = tracer.startRoot(c.req.method, "server", { "http.request.method": c.req.method }, started);

    const after = new AfterResponseQueue(logger);
    const roundTrips = new RoundTrips();
    c.set("after", after);
    c.set("roundTrips", roundTrips);
    c.set("clock", systemClock);
    if (configError) {
      c.res = handleError(configError, c);
    } else if (config) {
      c.set("config", config);
      c.set("metrics", new MetricsBatch());
      await next();
    }
    // Inner errors were already turned into responses by the app's onError, so this always runs.
    c.res.headers.set("X-Request-Id", requestId);
    c.res.headers.set("traceresponse", formatTraceparent(trace));
    if (serverTiming(config)) c.res.headers.set("Server-Timing", roundTrips.serverTiming());
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      route: c.get("route"),
      path: c.req.path,
      status,
      duration_ms: Date.now() - started,
      tenant_id: c.get("tenantId") ?? null,
      principal_id: c.get("principalId") ?? null,
      client_ip: truncateIp(c.req.header("cf-connecting-ip")) ?? null,
      db_round_trips: roundTrips.count("db"),
      gate_calls: roundTrips.count("gate"),
    };
    if (status >= 500) logger.warn("request", fields);
    else logger.info("request", fields);
    span.end({
      name: `${fields.method} ${fields.route}`,
      attributes: {
        "http.route": fields.route,
        "http.response.status_code": status,
        "url.path": maskPersonalData(fields.path),
        "xzepr.request_id": requestId,
        "xzepr.tenant_id": fields.tenant_id ?? undefined,
      },
      ...(status >= 500 ? { error: String(status) } : {}),
    });
    // The response exists: now the work that waited for it.
    tracer.hold(after.start((work) => c.executionCtx.waitUntil(work)));
    if (config) {
      c.executionCtx.waitUntil(exportTrace(config, tracer, logger));
      const metrics = c.get("metrics");
      const labels = { method: c.req.method, route: fields.route, status: String(status) };
      metrics.inc("xzepr_http_requests_total", labels);
      metrics.observe(
        "xzepr_http_request_duration_seconds",
        { method: labels.method, route: labels.route },
        fields.duration_ms / 1000,
      );
      c.executionCtx.waitUntil(metrics.flush(config, logger));
    }
  });
}

/** The request, as an audit entry records it: its id, truncated client address and user agent. */
export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return {
    id: c.get("requestId"),
    ip: truncateIp(c.req.header("cf-connecting-ip")),
    userAgent: c.req.header("user-agent"),
  };
}
