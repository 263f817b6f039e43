import { z } from "@hono/zod-openapi";
import { apiKeyView, createApiKey } from "../../domain/api-keys";
import { serviceContext, withEtag } from "../http";
import { CREATED_HEADERS, createRouter, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { NewApiKeySchema, Roles } from "./schemas";

const CreateApiKey = z
  .strictObject({
    name: z.string().min(1).max(255),
    roles: Roles,
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .openapi("CreateApiKey");

const route = protectedRoute("api_keys:admin", {
  method: "post",
  operationId: "createApiKey",
  path: "/api/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key; the secret is in this response only",
  request: { body: jsonBody(CreateApiKey) },
  responses: {
    201: {
      headers: CREATED_HEADERS,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: NewApiKeySchema }) } },
    },
    ...errorResponses(400, 413, 415, 429),
  },
});

export const createApiKeyEndpoint = createRouter().openapi(route, async (c) => {
  const input = c.req.valid("json");
  const { row, key } = await createApiKey(serviceContext(c), {
    name: input.name,
    roles: input.roles,
    expiresAt: input.expires_at ? new Date(input.expires_at) : undefined,
  });
  const { body, etag } = await withEtag(c, { ...apiKeyView(row), key });
  return c.json(body, 201, { ETag: etag, Location: `/api/v1/api-keys/${row.id}` });
});
