import { createRoute, z } from "@hono/zod-openapi";
import { publicJwks } from "../../infra/jwt";
import { createRouter, errorResponses } from "../openapi";

const route = createRoute({
  method: "get",
  operationId: "jwks",
  // Public: no credentials (API.md "Authentication").
  security: [],
  path: "/.well-known/jwks.json",
  tags: ["Auth"],
  summary: "Public keys that verify this service's access tokens (current and previous kid)",
  responses: {
    200: {
      description: "JSON Web Key Set",
      content: {
        "application/json": {
          schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("Jwks"),
        },
      },
    },
    // Public, under the anonymous rate limit kept on the gate.
    ...errorResponses(429, 503),
  },
});

export const jwksEndpoint = createRouter().openapi(route, async (c) =>
  c.json(await publicJwks(c.get("config")), 200, { "Cache-Control": "public, max-age=300" }),
);
