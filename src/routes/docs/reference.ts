import { SwaggerUI } from "@hono/swagger-ui";
import { createRoute, z } from "@hono/zod-openapi";
import { type AppRouter, errorResponses } from "../openapi";

const route = createRoute({
  method: "get",
  operationId: "reference",
  // Public: no credentials (API.md "Authentication").
  security: [],
  path: "/docs",
  tags: ["Operations"],
  summary: "Interactive API reference",
  responses: {
    200: { description: "HTML reference (Swagger UI)", content: { "text/html": { schema: z.string() } } },
    // Public, under the anonymous rate limit kept on the gate.
    ...errorResponses(429, 503),
  },
});

const page = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>xzepr-edge API</title></head>
  <body>${SwaggerUI({ url: "/openapi.json" })}</body>
</html>`;

export const registerReference = (app: AppRouter) => app.openapi(route, (c) => c.html(page, 200));
