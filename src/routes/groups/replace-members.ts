import { z } from "@hono/zod-openapi";
import { getGroup, groupView, replaceMembers } from "../../domain/groups";
import { checkIfMatch, IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { GroupSchema, ReplaceMembers } from "./schemas";

const route = protectedRoute("groups:write", {
  method: "put",
  operationId: "replaceMembers",
  path: "/api/v1/groups/{id}/receivers",
  tags: ["Receiver groups"],
  summary: "Replace a group's member receivers",
  description:
    "Every id must be an event receiver of the tenant (400 naming the others). The new set applies to " +
    "events that arrive after it; completions already recorded stay. Honours the group's If-Match (412 on mismatch).",
  request: { params: IdParam, body: jsonBody(ReplaceMembers) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The group with its new members",
      content: { "application/json": { schema: z.object({ data: GroupSchema }) } },
    },
    ...errorResponses(400, 404, 412, 413, 415, 429),
  },
});

export const replaceMembersEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => groupView(await getGroup(ctx, id)));
  const row = await replaceMembers(ctx, id, c.req.valid("json").event_receiver_ids);
  const { body, etag } = await withEtag(c, groupView(row));
  return c.json(body, 200, { ETag: etag });
});
