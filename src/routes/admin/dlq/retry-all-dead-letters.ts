import { z } from "@hono/zod-openapi";
import { retryAllDeadLetters } from "../../../domain/dead-letters";
import { serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";

const route = protectedRoute("dlq:admin", {
  method: "post",
  operationId: "retryAllDeadLetters",
  path: "/api/v1/admin/dlq/retry-all",
  tags: ["Dead-letter queue"],
  summary: "Requeue every dead letter of the tenant (audited)",
  responses: {
    202: {
      description: "Requeued",
      content: {
        "application/json": { schema: z.object({ data: z.object({ requeued: z.number().int() }) }) },
      },
    },
    ...errorResponses(429),
  },
});

export const retryAllDeadLettersEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { keys, webhooks } = await retryAllDeadLetters(ctx);
  c.get("publisher").publish([...new Set(keys)]);
  if (webhooks > 0) c.get("publisher").deliverWebhooks(ctx.tenantId);
  return c.json({ data: { requeued: keys.length + webhooks } }, 202);
});
