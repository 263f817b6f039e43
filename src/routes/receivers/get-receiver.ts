import { z } from "@hono/zod-openapi";
import { getReceiver, receiverView } from "../../domain/receivers";
import { IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, protectedRoute } from "../openapi";
import { ReceiverSchema } from "./schemas";

const route = protectedRoute("receivers:read", {
  method: "get",
  operationId: "getReceiver",
  path: "/api/v1/receivers/{id}",
  tags: ["Event receivers"],
  summary: "Get an event receiver",
  request: { params: IdParam },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The receiver",
      content: { "application/json": { schema: z.object({ data: ReceiverSchema }) } },
    },
    304: { description: "Not modified (If-None-Match)", headers: ETAG_HEADER },
    ...errorResponses(400, 404, 429),
  },
});

export const getReceiverEndpoint = createRouter().openapi(route, async (c) => {
  const row = await getReceiver(serviceContext(c), c.req.valid("param").id);
  const { body, etag, notModified } = await withEtag(c, receiverView(row));
  if (notModified) return c.body(null, 304, { ETag: etag });
  return c.json(body, 200, { ETag: etag });
});
