import { groupView, listGroups } from "../../domain/groups";
import { listSchema } from "../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { GroupQuery, GroupSchema } from "./schemas";

const route = protectedRoute("groups:read", {
  method: "get",
  operationId: "listGroups",
  path: "/api/v1/groups",
  tags: ["Receiver groups"],
  summary: "List receiver groups, newest first, filtered by name, type, version and enabled",
  request: { query: GroupQuery },
  responses: {
    200: {
      description: "A page of groups",
      content: { "application/json": { schema: listSchema(GroupSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listGroupsEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor, ...filter } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listGroups(serviceContext(c), filter, { limit: page_size + 1, after });
  return c.json(await listPage(c, rows.map(groupView), page_size), 200);
});
