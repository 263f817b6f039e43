import { z } from "@hono/zod-openapi";
import { getPrincipal, principalView, updatePrincipal } from "../../../domain/principals";
import { checkIfMatch, IdParam, serviceContext, withEtag } from "../../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../../openapi";
import { PrincipalSchema, UpdatePrincipal } from "./schemas";

const route = protectedRoute("principals:admin", {
  method: "patch",
  operationId: "updatePrincipal",
  path: "/api/v1/admin/principals/{id}",
  tags: ["Admin"],
  summary: "Rename, change roles, enable or disable a principal (disabling is immediate)",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam, body: jsonBody(UpdatePrincipal) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "Updated",
      content: { "application/json": { schema: z.object({ data: PrincipalSchema }) } },
    },
    ...errorResponses(400, 404, 409, 412, 413, 415, 429),
  },
});

export const updatePrincipalEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => principalView(await getPrincipal(ctx, id)));
  const row = await updatePrincipal(ctx, id, c.req.valid("json"));
  const { body, etag } = await withEtag(c, principalView(row));
  return c.json(body, 200, { ETag: etag });
});
