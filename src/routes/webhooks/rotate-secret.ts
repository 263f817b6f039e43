import { z } from "@hono/zod-openapi";
import { rotateSecret, webhookView } from "../../domain/webhooks";
import { IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, protectedRoute } from "../openapi";
import { NewWebhookSchema } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "post",
  operationId: "rotateWebhookSecret",
  path: "/api/v1/webhooks/{id}/rotate-secret",
  tags: ["Webhooks"],
  summary: "A new signing secret (in this response only); the previous one signs too until the overlap ends",
  request: { params: IdParam },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "Rotated: deliveries carry a signature by each secret until previous_secret_expires_at",
      content: { "application/json": { schema: z.object({ data: NewWebhookSchema }) } },
    },
    ...errorResponses(400, 404, 429),
  },
});

export const rotateSecretEndpoint = createRouter().openapi(route, async (c) => {
  const { row, secret } = await rotateSecret(serviceContext(c), c.req.valid("param").id);
  const { body, etag } = await withEtag(c, { ...webhookView(row), secret });
  return c.json(body, 200, { ETag: etag });
});
