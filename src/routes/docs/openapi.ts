import { createRoute, z } from "@hono/zod-openapi";
import { type AppRouter, errorResponses } from "../openapi";

const route = createRoute({
  method: "get",
  operationId: "openapi",
  // Public: no credentials (API.md "Authentication").
  security: [],
  path: "/openapi.json",
  tags: ["Operations"],
  summary: "This OpenAPI 3.1 document",
  responses: {
    200: {
      description: "The OpenAPI document",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
    // Public, under the anonymous rate limit kept on the gate.
    ...errorResponses(429, 503),
  },
});

/** Registers `/openapi.json` on the whole app, whose routes it describes. */
export const registerOpenApiDocument = (app: AppRouter) => {
  let document: ReturnType<AppRouter["getOpenAPI31Document"]> | undefined;
  return app.openapi(route, (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "xzepr-edge",
        version: "1.0.0",
        description: "Event provenance for software delivery. Errors use one envelope; see the Error schema.",
      },
      servers: [{ url: new URL(c.req.url).origin }],
    });
    return c.json(document, 200);
  });
};
