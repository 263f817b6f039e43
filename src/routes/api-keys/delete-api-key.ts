import { revokeApiKey } from "../../domain/api-keys";
import { IdParam, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";

const route = protectedRoute("api_keys:admin", {
  method: "delete",
  operationId: "deleteApiKey",
  path: "/api/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Revoke an API key, at once (tokens issued from it stop working too)",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked" }, ...errorResponses(400, 404, 429) },
});

export const deleteApiKeyEndpoint = createRouter().openapi(route, async (c) => {
  await revokeApiKey(serviceContext(c), c.req.valid("param").id);
  return c.body(null, 204);
});
