import { apiKeyView, listApiKeys } from "../../domain/api-keys";
import { listSchema, PageQuery } from "../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { ApiKeySchema } from "./schemas";

const route = protectedRoute("api_keys:admin", {
  method: "get",
  operationId: "listApiKeys",
  path: "/api/v1/api-keys",
  tags: ["API keys"],
  summary: "List the tenant's API keys (never their secrets), newest first",
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: listSchema(ApiKeySchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listApiKeysEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listApiKeys(serviceContext(c), { limit: page_size + 1, ...(after ? { after } : {}) });
  return c.json(await listPage(c, rows.map(apiKeyView), page_size), 200);
});
