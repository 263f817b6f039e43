import { deadLetterView, listDeadLetters } from "../../../domain/dead-letters";
import { listSchema, PageQuery } from "../../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";
import { DeadLetterSchema } from "./schemas";

const route = protectedRoute("dlq:admin", {
  method: "get",
  operationId: "listDeadLetters",
  path: "/api/v1/admin/dlq",
  tags: ["Dead-letter queue"],
  summary: "List the tenant's dead letters (messages that failed every publish attempt), newest first",
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of dead letters",
      content: { "application/json": { schema: listSchema(DeadLetterSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listDeadLettersEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listDeadLetters(serviceContext(c), { limit: page_size + 1, after });
  return c.json(await listPage(c, rows.map(deadLetterView), page_size), 200);
});
