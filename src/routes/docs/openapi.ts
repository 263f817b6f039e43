import { createRoute, z } from "@hono/zod-openapi";
import { type AppRouter, errorResponses } from "../openapi";
import { withPipelineHeaders } from "../pipeline-headers";

const route = createRoute({
  method: "get",
  operationId: "openapi",
  // Public: no credentials (API.md "Authentication"), under a generous per-IP limit (src/app.ts).
  security: [],
  path: "/openapi.json",
  tags: ["Operations"],
  summary: "This OpenAPI 3.1 document",
  responses: {
    200: {
      description: "The OpenAPI document",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
    ...errorResponses(429, 503),
  },
});

/** The OpenAPI document of the app's routes, for a server at `origin`. */
export const openApiDocument = (app: AppRouter, origin: string) =>
  withPipelineHeaders(
    app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "xzepr-edge",
        version: "1.0.0",
        license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
        description: "Event provenance for software delivery. Errors use one envelope; see the Error schema.",
      },
      servers: [{ url: origin }],
    }),
  );

/** Registers `/openapi.json` on the whole app, whose routes it describes. */
export const registerOpenApiDocument = (app: AppRouter) => {
  let document: ReturnType<typeof openApiDocument> | undefined;
  return app.openapi(route, (c) => {
    document ??= openApiDocument(app, new URL(c.req.url).origin);
    return c.json(document, 200);
  });
};
