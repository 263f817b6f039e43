import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../context";
import { settingsFor } from "../../domain/tenant-settings";
import { callGate, gateFor } from "../../infra/gate";
import { createRouter, errorResponses, protectedRoute } from "../openapi";

const Usage = z
  .object({
    quota: z.object({
      limit: z
        .number()
        .int()
        .nullable()
        .openapi({ description: "Events per calendar month (UTC); null: unlimited" }),
      used: z.number().int(),
      period_end: z.string(),
    }),
    in_flight: z.number().int(),
    rate_limit: z
      .object({
        tier: z.enum(["anonymous", "authenticated", "admin"]),
        limit: z.number().int(),
        remaining: z.number().int(),
        reset: z.number().int(),
      })
      .nullable(),
  })
  .openapi("Usage");

const route = protectedRoute("usage:read", {
  method: "get",
  operationId: "getUsage",
  path: "/api/v1/usage",
  tags: ["Usage"],
  summary: "The tenant's event quota, requests in flight, and the caller's rate limit",
  responses: {
    200: { description: "Usage", content: { "application/json": { schema: z.object({ data: Usage }) } } },
    ...errorResponses(429, 503),
  },
});

/** The tenant's quota and requests in flight, and this request's rate limit (REST and GraphQL). */
export async function tenantUsage(c: Context<AppEnv>) {
  const { tenantId } = c.get("principal");
  const now = Date.now();
  const [usage, settings] = await Promise.all([
    callGate(() => gateFor(c.get("config"), tenantId).usage(now)),
    settingsFor(c.get("db"), tenantId, now),
  ]);
  const rateLimit = c.get("rateLimit");
  return {
    quota: {
      limit: settings.event_quota_per_month ?? null,
      used: usage.used,
      period_end: new Date(usage.periodEnd).toISOString(),
    },
    in_flight: usage.inFlight,
    rate_limit: rateLimit ? { ...rateLimit, reset: Math.ceil(rateLimit.reset / 1000) } : null,
  };
}

export const getUsageEndpoint = createRouter().openapi(route, async (c) =>
  c.json({ data: await tenantUsage(c) }, 200),
);
