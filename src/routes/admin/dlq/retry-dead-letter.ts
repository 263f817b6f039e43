import { z } from "@hono/zod-openapi";
import { retryDeadLetter } from "../../../domain/dead-letters";
import { IdParam, serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";

const route = protectedRoute("dlq:admin", {
  method: "post",
  operationId: "retryDeadLetter",
  path: "/api/v1/admin/dlq/{id}/retry",
  tags: ["Dead-letter queue"],
  summary: "Requeue a dead letter: back to the outbox with a fresh set of attempts (audited)",
  description: "Publishing starts after the response; the message keeps its CloudEvent `id`.",
  request: { params: IdParam },
  responses: {
    202: {
      description: "Requeued",
      content: {
        "application/json": { schema: z.object({ data: z.object({ requeued: z.number().int() }) }) },
      },
    },
    ...errorResponses(400, 404, 429),
  },
});

export const retryDeadLetterEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { keys, webhooks } = await retryDeadLetter(ctx, c.req.valid("param").id);
  c.get("publisher").publish(keys);
  if (webhooks > 0) c.get("publisher").deliverWebhooks(ctx.tenantId);
  return c.json({ data: { requeued: keys.length + webhooks } }, 202);
});
