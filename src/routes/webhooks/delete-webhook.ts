import { deleteWebhook, getWebhook, webhookView } from "../../domain/webhooks";
import { checkIfMatch, IdParam, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";

const route = protectedRoute("webhooks:admin", {
  method: "delete",
  operationId: "deleteWebhook",
  path: "/api/v1/webhooks/{id}",
  tags: ["Webhooks"],
  summary: "Delete a webhook and its pending deliveries",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 404, 412, 429) },
});

export const deleteWebhookEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => webhookView(await getWebhook(ctx, id)));
  await deleteWebhook(ctx, id);
  return c.body(null, 204);
});
