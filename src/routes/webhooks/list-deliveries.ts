import { deliveryView, listDeliveries } from "../../domain/webhooks";
import { listSchema } from "../../lib/pagination";
import { afterCursor, IdParam, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { DeliverySchema, WebhookQuery } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "get",
  operationId: "listWebhookDeliveries",
  path: "/api/v1/webhooks/{id}/deliveries",
  tags: ["Webhooks"],
  summary: "A webhook's deliveries, newest first: status, attempts, last response status and latency",
  request: { params: IdParam, query: WebhookQuery },
  responses: {
    200: {
      description: "A page of deliveries",
      content: { "application/json": { schema: listSchema(DeliverySchema) } },
    },
    ...errorResponses(400, 404, 429),
  },
});

export const listDeliveriesEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listDeliveries(serviceContext(c), c.req.valid("param").id, {
    limit: page_size + 1,
    after,
  });
  return c.json(await listPage(c, rows.map(deliveryView), page_size), 200);
});
