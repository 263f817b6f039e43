import { z } from "@hono/zod-openapi";
import { getGroup, groupView, updateGroup } from "../../domain/groups";
import { checkIfMatch, IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { GroupSchema, UpdateGroup } from "./schemas";

const route = protectedRoute("groups:write", {
  method: "patch",
  operationId: "updateGroup",
  path: "/api/v1/groups/{id}",
  tags: ["Receiver groups"],
  summary: "Change a group's description or enable/disable it",
  description:
    "Name, type and version are the group's identity (its fingerprint) and are immutable; members change " +
    "through PUT /api/v1/groups/{id}/receivers. A disabled group never completes. Honours If-Match (412 on mismatch).",
  request: { params: IdParam, body: jsonBody(UpdateGroup) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "Updated",
      content: { "application/json": { schema: z.object({ data: GroupSchema }) } },
    },
    ...errorResponses(400, 404, 412, 413, 415, 429),
  },
});

export const updateGroupEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => groupView(await getGroup(ctx, id)));
  const { body, etag } = await withEtag(c, groupView(await updateGroup(ctx, id, c.req.valid("json"))));
  return c.json(body, 200, { ETag: etag });
});
