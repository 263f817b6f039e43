import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../context";
import { AuthFailure, authenticate, passGate } from "../../domain/auth";
import { checkReadiness } from "../../domain/health";
import { outboxGauges } from "../../domain/outbox";
import { permissionsFor } from "../../domain/permissions";
import { gauge, renderMetrics } from "../../infra/metrics";
import { ApiError } from "../../lib/errors";
import { authDeps, refuse } from "../../middleware/auth";
import { dependencyChecks } from "../health/probes";
import { createRouter, errorResponses, SECURITY } from "../openapi";

const route = createRoute({
  method: "get",
  operationId: "getMetrics",
  path: "/metrics",
  tags: ["Operations"],
  summary: "Prometheus metrics, summed across isolates; gauges read at scrape time",
  description:
    "Needs an admin's credentials (`metrics:read`), or `Authorization: Bearer <METRICS_TOKEN>` for a scraper. The `route` label is the route template.",
  security: SECURITY,
  "x-required-permission": "metrics:read",
  responses: {
    200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: z.string() } } },
    ...errorResponses(401, 403, 429, 503),
  },
});

async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (text: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  // Equal-length digests: the comparison takes the same time whatever the token.
  return crypto.subtle.timingSafeEqual(await digest(given), await digest(expected));
}

/** The scraper's token, or an authenticated caller with metrics:read. */
async function allowScrape(c: Context<AppEnv>): Promise<void> {
  const config = c.get("config");
  const authorization = c.req.header("authorization");
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (config.METRICS_TOKEN && bearer && (await sameSecret(bearer, config.METRICS_TOKEN))) return;
  try {
    const deps = authDeps(c);
    const principal = await authenticate(deps, { authorization, apiKey: c.req.header("x-api-key") });
    await passGate(deps, principal);
    if (!permissionsFor(principal.roles).includes("metrics:read")) {
      throw new ApiError(403, "FORBIDDEN", "This operation needs the metrics:read permission.");
    }
  } catch (error) {
    if (error instanceof AuthFailure) throw refuse(c, error);
    throw error;
  }
}

/**
 * The isolate's last outbox gauges. With the database down a scrape reports them, beside
 * `xzepr_dependency_up{dependency="database"} 0`, rather than nothing: an alert on the lag keeps its
 * value instead of turning into "no data".
 */
let lastOutbox: { lagSeconds: number; deadLetters: number } | undefined;

const withoutOutbox = ({ outbox: _lag, ...dependencies }: ReturnType<typeof dependencyChecks>) =>
  dependencies;

export const getMetricsEndpoint = createRouter().openapi(route, async (c) => {
  await allowScrape(c);
  const config = c.get("config");
  const [outbox, readiness] = await Promise.all([
    // With the database down the scrape still answers: the last gauges, dependency_up{database} 0.
    outboxGauges(c.get("db"), new Date()).then(
      (now) => {
        lastOutbox = now;
        return now;
      },
      () => lastOutbox,
    ),
    // The outbox check is readiness's reading of the lag this scrape reads itself, just above.
    checkReadiness(withoutOutbox(dependencyChecks(config)), config.HEALTH_CHECK_TIMEOUT_MS),
  ]);
  const gauges = [
    ...(outbox
      ? [
          gauge("xzepr_outbox_lag_seconds", {}, outbox.lagSeconds),
          gauge("xzepr_dlq_size", {}, outbox.deadLetters),
        ]
      : []),
    ...Object.entries(readiness.checks)
      .filter(([, check]) => check.status !== "not_configured")
      .map(([dependency, check]) =>
        gauge("xzepr_dependency_up", { dependency }, check.status === "ok" ? 1 : 0),
      ),
  ];
  return c.text(await renderMetrics(config, gauges), 200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    "Cache-Control": "no-store",
  });
});
