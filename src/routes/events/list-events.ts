import { eventView, listEvents } from "../../domain/events";
import { listSchema } from "../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../http";
import { createRouter, errorResponses, protectedRoute } from "../openapi";
import { EventQuery, EventSchema } from "./schemas";

const route = protectedRoute("events:read", {
  method: "get",
  operationId: "listEvents",
  path: "/api/v1/events",
  tags: ["Events"],
  summary: "List events, newest first, with stable cursor pagination",
  request: { query: EventQuery },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: listSchema(EventSchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listEventsEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor, ...filter } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listEvents(serviceContext(c), filter, { limit: page_size + 1, after });
  return c.json(await listPage(c, rows.map(eventView), page_size), 200);
});
