import { createRoute, z } from "@hono/zod-openapi";
import { revokeToken } from "../../domain/tokens";
import { authDeps } from "../../middleware/auth";
import { requestMeta } from "../../middleware/request-context";
import { createRouter, errorResponses, jsonBody, SECURITY } from "../openapi";

const route = createRoute({
  method: "post",
  operationId: "revoke",
  path: "/api/v1/auth/revoke",
  tags: ["Auth"],
  summary: "Revoke an access token (until it expires) or a refresh token (its whole family)",
  description:
    "RFC 7009: answers 204 for unknown tokens too. Only tokens of the caller's tenant are affected.",
  security: SECURITY,
  request: {
    body: jsonBody(z.strictObject({ token: z.string().min(1).max(4096) }).openapi("RevokeRequest")),
  },
  responses: {
    204: { description: "Revoked (or unknown)" },
    ...errorResponses(400, 401, 413, 415, 429, 503),
  },
});

export const revokeEndpoint = createRouter().openapi(route, async (c) => {
  const deps = authDeps(c);
  await revokeToken(deps, requestMeta(c), c.get("principal"), c.req.valid("json").token);
  return c.body(null, 204);
});
