import { z } from "@hono/zod-openapi";
import { createGroup, groupView } from "../../domain/groups";
import { serviceContext, withEtag } from "../http";
import { CREATED_HEADERS, createRouter, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { CreateGroup, GroupSchema } from "./schemas";

const route = protectedRoute("groups:write", {
  method: "post",
  operationId: "createGroup",
  path: "/api/v1/groups",
  tags: ["Receiver groups"],
  summary: "Create a receiver group; every member must be an event receiver of the tenant",
  description:
    "An id that is not an event receiver of the tenant → 400 naming it; a duplicate (name, type, version) → 409.",
  request: { body: jsonBody(CreateGroup) },
  responses: {
    201: {
      headers: CREATED_HEADERS,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: GroupSchema }) } },
    },
    ...errorResponses(400, 409, 413, 415, 422, 429),
  },
});

export const createGroupEndpoint = createRouter().openapi(route, async (c) => {
  const row = await createGroup(serviceContext(c), c.req.valid("json"));
  const { body, etag } = await withEtag(c, groupView(row));
  return c.json(body, 201, { ETag: etag, Location: `/api/v1/groups/${row.id}` });
});
