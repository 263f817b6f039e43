import { z } from "@hono/zod-openapi";
import { apiKeyView, getApiKey } from "../../domain/api-keys";
import { IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, protectedRoute } from "../openapi";
import { ApiKeySchema } from "./schemas";

const route = protectedRoute("api_keys:admin", {
  method: "get",
  operationId: "getApiKey",
  path: "/api/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Get an API key (never its secret)",
  request: { params: IdParam },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The key",
      content: { "application/json": { schema: z.object({ data: ApiKeySchema }) } },
    },
    304: { description: "Not modified (If-None-Match)", headers: ETAG_HEADER },
    ...errorResponses(400, 404, 429),
  },
});

export const getApiKeyEndpoint = createRouter().openapi(route, async (c) => {
  const { body, etag, notModified } = await withEtag(
    c,
    apiKeyView(await getApiKey(serviceContext(c), c.req.valid("param").id)),
  );
  if (notModified) return c.body(null, 304, { ETag: etag });
  return c.json(body, 200, { ETag: etag });
});
