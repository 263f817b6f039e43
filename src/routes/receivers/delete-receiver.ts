import { deleteReceiver, getReceiver, receiverView } from "../../domain/receivers";
import { checkIfMatch, IdParam, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";

const route = protectedRoute("receivers:write", {
  method: "delete",
  operationId: "deleteReceiver",
  path: "/api/v1/receivers/{id}",
  tags: ["Event receivers"],
  summary: "Delete an event receiver; 409 while events or groups reference it",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 404, 409, 412, 429) },
});

export const deleteReceiverEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => receiverView(await getReceiver(ctx, id)));
  await deleteReceiver(ctx, id);
  return c.body(null, 204);
});
