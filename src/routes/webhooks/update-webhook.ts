import { z } from "@hono/zod-openapi";
import { getWebhook, updateWebhook, webhookView } from "../../domain/webhooks";
import { checkIfMatch, IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { UpdateWebhook, WebhookSchema } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "patch",
  operationId: "updateWebhook",
  path: "/api/v1/webhooks/{id}",
  tags: ["Webhooks"],
  summary: "Change a webhook's URL, event types, filters or enabled flag",
  description:
    "Enabling a webhook that was disabled for failing clears its failure record; its pending deliveries go out again. Honours If-Match (412 on mismatch).",
  request: { params: IdParam, body: jsonBody(UpdateWebhook) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "Updated",
      content: { "application/json": { schema: z.object({ data: WebhookSchema }) } },
    },
    ...errorResponses(400, 404, 412, 413, 415, 429),
  },
});

export const updateWebhookEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => webhookView(await getWebhook(ctx, id)));
  const { body, etag } = await withEtag(c, webhookView(await updateWebhook(ctx, id, c.req.valid("json"))));
  return c.json(body, 200, { ETag: etag });
});
