import { z } from "@hono/zod-openapi";
import { getReceiver, receiverView, updateReceiver } from "../../domain/receivers";
import { checkIfMatch, IdParam, serviceContext, withEtag } from "../http";
import { createRouter, ETAG_HEADER, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { ReceiverSchema, UpdateReceiver } from "./schemas";

const route = protectedRoute("receivers:write", {
  method: "patch",
  operationId: "updateReceiver",
  path: "/api/v1/receivers/{id}",
  tags: ["Event receivers"],
  summary: "Change a receiver's description (its identity fields are immutable)",
  description: "Honours If-Match (412 on mismatch).",
  request: { params: IdParam, body: jsonBody(UpdateReceiver) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "Updated",
      content: { "application/json": { schema: z.object({ data: ReceiverSchema }) } },
    },
    ...errorResponses(400, 404, 412, 413, 415, 429),
  },
});

export const updateReceiverEndpoint = createRouter().openapi(route, async (c) => {
  const ctx = serviceContext(c);
  const { id } = c.req.valid("param");
  await checkIfMatch(c, async () => receiverView(await getReceiver(ctx, id)));
  const { body, etag } = await withEtag(c, receiverView(await updateReceiver(ctx, id, c.req.valid("json"))));
  return c.json(body, 200, { ETag: etag });
});
