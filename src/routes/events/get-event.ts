import { z } from "@hono/zod-openapi";
import { eventView, getEvent } from "../../domain/events";
import { IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, protectedRoute } from "../openapi";
import { EventSchema } from "./schemas";

const route = protectedRoute("events:read", {
  method: "get",
  operationId: "getEvent",
  path: "/api/v1/events/{id}",
  tags: ["Events"],
  summary: "Get an event (events are immutable: PUT, PATCH and DELETE answer 405)",
  request: { params: IdParam },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The event",
      content: { "application/json": { schema: z.object({ data: EventSchema }) } },
    },
    304: { description: "Not modified (If-None-Match)", headers: ETAG_HEADER },
    ...errorResponses(400, 404, 429),
  },
});

export const getEventEndpoint = createRouter().openapi(route, async (c) => {
  const { body, etag, notModified } = await withEtag(
    c,
    eventView(await getEvent(serviceContext(c), c.req.valid("param").id)),
  );
  if (notModified) return c.body(null, 304, { ETag: etag });
  return c.json(body, 200, { ETag: etag });
});
