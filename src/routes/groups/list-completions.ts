import { completionView, listCompletions } from "../../domain/groups";
import { listSchema } from "../../lib/pagination";
import { afterCursor, IdParam, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { CompletionQuery, CompletionSchema } from "./schemas";

const route = protectedRoute("groups:read", {
  method: "get",
  operationId: "listCompletions",
  path: "/api/v1/groups/{id}/completions",
  tags: ["Receiver groups"],
  summary: "List the completions recorded for a group, newest first, filtered by artifact key",
  request: { params: IdParam, query: CompletionQuery },
  responses: {
    200: {
      description: "A page of completions",
      content: { "application/json": { schema: listSchema(CompletionSchema) } },
    },
    ...errorResponses(400, 404, 429),
  },
});

export const listCompletionsEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor, ...filter } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listCompletions(serviceContext(c), c.req.valid("param").id, filter, {
    limit: page_size + 1,
    after,
  });
  return c.json(await listPage(c, rows.map(completionView), page_size), 200);
});
