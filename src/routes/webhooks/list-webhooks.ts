import { listWebhooks, webhookView } from "../../domain/webhooks";
import { listSchema } from "../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { WebhookQuery, WebhookSchema } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "get",
  operationId: "listWebhooks",
  path: "/api/v1/webhooks",
  tags: ["Webhooks"],
  summary: "List the tenant's webhooks, newest first",
  request: { query: WebhookQuery },
  responses: {
    200: {
      description: "A page of webhooks",
      content: { "application/json": { schema: listSchema(WebhookSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listWebhooksEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listWebhooks(serviceContext(c), { limit: page_size + 1, after });
  return c.json(await listPage(c, rows.map(webhookView), page_size), 200);
});
