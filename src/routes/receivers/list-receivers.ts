import { listReceivers, receiverView } from "../../domain/receivers";
import { listSchema } from "../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { ReceiverQuery, ReceiverSchema } from "./schemas";

const route = protectedRoute("receivers:read", {
  method: "get",
  operationId: "listReceivers",
  path: "/api/v1/receivers",
  tags: ["Event receivers"],
  summary: "List event receivers, newest first, filtered by name, type and version",
  request: { query: ReceiverQuery },
  responses: {
    200: {
      description: "A page of receivers",
      content: { "application/json": { schema: listSchema(ReceiverSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listReceiversEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor, ...filter } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listReceivers(serviceContext(c), filter, { limit: page_size + 1, after });
  return c.json(await listPage(c, rows.map(receiverView), page_size), 200);
});
