import { z } from "@hono/zod-openapi";
import { createPrincipal, principalView } from "../../../domain/principals";
import { serviceContext, withEtag } from "../../http";
import { CREATED_HEADERS, createRouter, errorResponses, jsonBody, protectedRoute } from "../../openapi";
import { CreatePrincipal, PrincipalSchema } from "./schemas";

const route = protectedRoute("principals:admin", {
  method: "post",
  operationId: "createPrincipal",
  path: "/api/v1/admin/principals",
  tags: ["Admin"],
  summary: "Create a principal (admin, writer or reader) in the tenant",
  request: { body: jsonBody(CreatePrincipal) },
  responses: {
    201: {
      headers: CREATED_HEADERS,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: PrincipalSchema }) } },
    },
    ...errorResponses(400, 409, 413, 415, 429),
  },
});

export const createPrincipalEndpoint = createRouter().openapi(route, async (c) => {
  const row = await createPrincipal(serviceContext(c), c.req.valid("json"));
  const { body, etag } = await withEtag(c, principalView(row));
  return c.json(body, 201, { ETag: etag, Location: `/api/v1/admin/principals/${row.id}` });
});
