import { z } from "@hono/zod-openapi";
import { createReceiver, receiverView } from "../../domain/receivers";
import { serviceContext, withEtag } from "../http";
import { CREATED_HEADERS, createRouter, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { CreateReceiver, ReceiverSchema } from "./schemas";

const route = protectedRoute("receivers:write", {
  method: "post",
  operationId: "createReceiver",
  path: "/api/v1/receivers",
  tags: ["Event receivers"],
  summary: "Create an event receiver; its schema must be a valid JSON Schema",
  request: { body: jsonBody(CreateReceiver) },
  responses: {
    201: {
      headers: CREATED_HEADERS,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: ReceiverSchema }) } },
    },
    ...errorResponses(400, 409, 413, 415, 422, 429),
  },
});

export const createReceiverEndpoint = createRouter().openapi(route, async (c) => {
  const row = await createReceiver(serviceContext(c), c.req.valid("json"));
  const { body, etag } = await withEtag(c, receiverView(row));
  return c.json(body, 201, { ETag: etag, Location: `/api/v1/receivers/${row.id}` });
});
