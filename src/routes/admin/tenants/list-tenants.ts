import { listTenants, tenantView } from "../../../domain/tenants";
import { listSchema, PageQuery } from "../../../lib/pagination";
import { afterCursor, listPage, platformContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";
import { TenantSchema } from "./schemas";

const route = protectedRoute("tenants:admin", {
  method: "get",
  operationId: "listTenants",
  path: "/api/v1/admin/tenants",
  tags: ["Platform"],
  summary: "List all tenants, newest first",
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of tenants",
      content: { "application/json": { schema: listSchema(TenantSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listTenantsEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listTenants(platformContext(c), { limit: page_size + 1, ...(after ? { after } : {}) });
  return c.json(await listPage(c, rows.map(tenantView), page_size), 200);
});
