import { z } from "@hono/zod-openapi";
import { createTenant, tenantView } from "../../../domain/tenants";
import { platformContext, withEtag } from "../../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../../openapi";
import { CreateTenant, TenantSchema } from "./schemas";

const route = protectedRoute("tenants:admin", {
  method: "post",
  operationId: "createTenant",
  path: "/api/v1/admin/tenants",
  tags: ["Platform"],
  summary: "Create a tenant",
  request: { body: jsonBody(CreateTenant) },
  responses: {
    201: {
      headers: ETAG_HEADER,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: TenantSchema }) } },
    },
    ...errorResponses(400, 409, 413, 415, 429),
  },
});

export const createTenantEndpoint = createRouter().openapi(route, async (c) => {
  const row = await createTenant(platformContext(c), c.req.valid("json"));
  const { body, etag } = await withEtag(c, tenantView(row));
  return c.json(body, 201, { ETag: etag });
});
