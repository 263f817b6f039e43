import { z } from "@hono/zod-openapi";
import { getGroup, groupView } from "../../domain/groups";
import { IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, protectedRoute } from "../openapi";
import { GroupSchema } from "./schemas";

const route = protectedRoute("groups:read", {
  method: "get",
  operationId: "getGroup",
  path: "/api/v1/groups/{id}",
  tags: ["Receiver groups"],
  summary: "Get a receiver group with its member receivers",
  request: { params: IdParam },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The group",
      content: { "application/json": { schema: z.object({ data: GroupSchema }) } },
    },
    304: { description: "Not modified (If-None-Match)", headers: ETAG_HEADER },
    ...errorResponses(400, 404, 429),
  },
});

export const getGroupEndpoint = createRouter().openapi(route, async (c) => {
  const row = await getGroup(serviceContext(c), c.req.valid("param").id);
  const { body, etag, notModified } = await withEtag(c, groupView(row));
  if (notModified) return c.body(null, 304, { ETag: etag });
  return c.json(body, 200, { ETag: etag });
});
