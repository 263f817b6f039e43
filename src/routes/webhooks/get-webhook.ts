import { z } from "@hono/zod-openapi";
import { getWebhook, webhookView } from "../../domain/webhooks";
import { IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, protectedRoute } from "../openapi";
import { WebhookSchema } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "get",
  operationId: "getWebhook",
  path: "/api/v1/webhooks/{id}",
  tags: ["Webhooks"],
  summary: "Get a webhook (never its secret)",
  request: { params: IdParam },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The webhook",
      content: { "application/json": { schema: z.object({ data: WebhookSchema }) } },
    },
    304: { description: "Not modified (If-None-Match)", headers: ETAG_HEADER },
    ...errorResponses(400, 404, 429),
  },
});

export const getWebhookEndpoint = createRouter().openapi(route, async (c) => {
  const row = await getWebhook(serviceContext(c), c.req.valid("param").id);
  const { body, etag, notModified } = await withEtag(c, webhookView(row));
  if (notModified) return c.body(null, 304, { ETag: etag });
  return c.json(body, 200, { ETag: etag });
});
