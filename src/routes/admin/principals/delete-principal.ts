import { deletePrincipal, getPrincipal, principalView } from "../../../domain/principals";
import { checkIfMatch, IdParam, serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";

const route = protectedRoute("principals:admin", {
  method: "delete",
  operationId: "deletePrincipal",
  path: "/api/v1/admin/principals/{id}",
  tags: ["Admin"],
  summary: "Delete a principal; its tokens are refused at once",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 404, 412, 429) },
});

export const deletePrincipalEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => principalView(await getPrincipal(ctx, id)));
  await deletePrincipal(ctx, id);
  return c.body(null, 204);
});
