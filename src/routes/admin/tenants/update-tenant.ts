import { z } from "@hono/zod-openapi";
import { getTenant, tenantView, updateTenant } from "../../../domain/tenants";
import { checkIfMatch, IdParam, platformContext, withEtag } from "../../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../../openapi";
import { TenantSchema, UpdateTenant } from "./schemas";

const route = protectedRoute("tenants:admin", {
  method: "patch",
  operationId: "updateTenant",
  path: "/api/v1/admin/tenants/{id}",
  tags: ["Platform"],
  summary: "Rename, enable or disable a tenant (immediate), or change its quota and limits",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam, body: jsonBody(UpdateTenant) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "Updated",
      content: { "application/json": { schema: z.object({ data: TenantSchema }) } },
    },
    ...errorResponses(400, 404, 412, 413, 415, 429),
  },
});

export const updateTenantEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = platformContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => tenantView(await getTenant(ctx, id)));
  const { body, etag } = await withEtag(c, tenantView(await updateTenant(ctx, id, c.req.valid("json"))));
  return c.json(body, 200, { ETag: etag });
});
