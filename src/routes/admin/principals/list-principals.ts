import { listPrincipals, principalView } from "../../../domain/principals";
import { listSchema, PageQuery } from "../../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";
import { PrincipalSchema } from "./schemas";

const route = protectedRoute("principals:admin", {
  method: "get",
  operationId: "listPrincipals",
  path: "/api/v1/admin/principals",
  tags: ["Admin"],
  summary: "List the tenant's principals, newest first",
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of principals",
      content: { "application/json": { schema: listSchema(PrincipalSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listPrincipalsEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listPrincipals(serviceContext(c), {
    limit: page_size + 1,
    ...(after ? { after } : {}),
  });
  return c.json(await listPage(c, rows.map(principalView), page_size), 200);
});
