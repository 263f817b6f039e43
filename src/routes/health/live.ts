import { createRoute, z } from "@hono/zod-openapi";
import { type AppRouter, errorResponses } from "../openapi";

const route = createRoute({
  method: "get",
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

export const registerLive = (app: AppRouter) =>
  app.openapi(route, (c) => c.json({ status: "ok" as const }, 200));
