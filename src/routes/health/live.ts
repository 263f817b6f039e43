import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../openapi";

const route = createRoute({
  method: "get",
  operationId: "live",
  // Public: no credentials (API.md "Authentication").
  security: [],
  path: "/health/live",
  tags: ["Operations"],
  summary: "Liveness: the isolate can serve",
  responses: {
    200: {
      description: "Alive",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }).openapi("Liveness") } },
    },
    ...errorResponses(),
  },
});

export const liveEndpoint = createRouter().openapi(route, (c) => c.json({ status: "ok" as const }, 200));
