import { discardDeadLetter } from "../../../domain/dead-letters";
import { IdParam, serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";

const route = protectedRoute("dlq:admin", {
  method: "delete",
  operationId: "discardDeadLetter",
  path: "/api/v1/admin/dlq/{id}",
  tags: ["Dead-letter queue"],
  summary: "Discard a dead letter for good (audited)",
  request: { params: IdParam },
  responses: { 204: { description: "Discarded" }, ...errorResponses(400, 404, 429) },
});

export const discardDeadLetterEndpoint = createRouter().openapi(route, async (c) => {
  await discardDeadLetter(serviceContext(c), c.req.valid("param").id);
  return c.body(null, 204);
});
