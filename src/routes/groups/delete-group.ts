import { deleteGroup, getGroup, groupView } from "../../domain/groups";
import { checkIfMatch, IdParam, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";

const route = protectedRoute("groups:write", {
  method: "delete",
  operationId: "deleteGroup",
  path: "/api/v1/groups/{id}",
  tags: ["Receiver groups"],
  summary: "Delete a receiver group with its membership and completion history",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 404, 412, 429) },
});

export const deleteGroupEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => groupView(await getGroup(ctx, id)));
  await deleteGroup(ctx, id);
  return c.body(null, 204);
});
