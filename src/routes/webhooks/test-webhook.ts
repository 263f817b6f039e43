import { z } from "@hono/zod-openapi";
import { deliveryView, queuePing } from "../../domain/webhooks";
import { IdParam, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { DeliverySchema } from "./schemas";

const route = protectedRoute("webhooks:admin", {
  method: "post",
  operationId: "testWebhook",
  path: "/api/v1/webhooks/{id}/test",
  tags: ["Webhooks"],
  summary: "Send a ping (CloudEvent type xzepr.webhook.ping), signed and retried like any delivery",
  request: { params: IdParam },
  responses: {
    202: {
      description: "Queued; sent right after this response (see its deliveries)",
      content: { "application/json": { schema: z.object({ data: DeliverySchema }) } },
    },
    ...errorResponses(400, 404, 429),
  },
});

export const testWebhookEndpoint = createRouter().openapi(route, async (c) => {
  const row = await queuePing(serviceContext(c), c.req.valid("param").id);
  c.get("publisher").deliverWebhooks(row.tenantId);
  return c.json({ data: deliveryView(row) }, 202);
});
