import { z } from "@hono/zod-openapi";
import { createWebhook, webhookView } from "../../domain/webhooks";
import { serviceContext, withEtag } from "../http";
import { CREATED_HEADERS, createRouter, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { CreateWebhook, NewWebhookSchema } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "post",
  operationId: "createWebhook",
  path: "/api/v1/webhooks",
  tags: ["Webhooks"],
  summary: "Subscribe an endpoint; the signing secret is in this response only",
  description:
    "A URL that is not https, not on the default port, or that points at a loopback, private, link-local or metadata address is refused (400) in production.",
  request: { body: jsonBody(CreateWebhook) },
  responses: {
    201: {
      headers: CREATED_HEADERS,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: NewWebhookSchema }) } },
    },
    ...errorResponses(400, 413, 415, 429),
  },
});

export const createWebhookEndpoint = createRouter().openapi(route, async (c) => {
  const { row, secret } = await createWebhook(serviceContext(c), c.req.valid("json"));
  const { body, etag } = await withEtag(c, { ...webhookView(row), secret });
  return c.json(body, 201, { ETag: etag, Location: `/api/v1/webhooks/${row.id}` });
});
