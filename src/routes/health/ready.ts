import { createRoute, z } from "@hono/zod-openapi";
import { checkReadiness } from "../../domain/health";
import { createRouter, errorResponses } from "../openapi";
import { dependencyChecks } from "./probes";

const CheckSchema = z
  .object({
    status: z.enum(["ok", "down", "not_configured"]),
    latency_ms: z.number().int(),
    error: z.string().optional(),
  })
  .openapi("DependencyCheck");

const ReadinessSchema = z
  .object({
    status: z.enum(["ok", "degraded", "down"]),
    checks: z.record(z.string(), CheckSchema),
  })
  .openapi("Readiness");

const route = createRoute({
  method: "get",
  operationId: "ready",
  // Public: no credentials (API.md "Authentication").
  security: [],
  path: "/health/ready",
  tags: ["Operations"],
  summary: "Readiness: real round trips to the database, Redis, Kafka and Durable Objects",
  description: "A required dependency that is down answers 503 `down`; an optional one 200 `degraded`.",
  responses: {
    200: {
      description: "Ready (ok or degraded)",
      content: { "application/json": { schema: ReadinessSchema } },
    },
    503: {
      description: "A required dependency is down",
      content: { "application/json": { schema: ReadinessSchema } },
    },
    ...errorResponses(),
  },
});

export const readyEndpoint = createRouter().openapi(route, async (c) => {
  const config = c.get("config");
  const checks = dependencyChecks(config);
  const readiness = await checkReadiness(checks, config.HEALTH_CHECK_TIMEOUT_MS);
  return c.json(readiness, readiness.status === "down" ? 503 : 200);
});
