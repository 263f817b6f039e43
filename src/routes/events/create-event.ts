import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context";
import { outboxKey } from "../../domain/cloud-events";
import { createEvent, eventView } from "../../domain/events";
import { rawMember } from "../../lib/json-span";
import { type AppRouter, errorResponses, jsonBody, protectedRoute } from "../../lib/openapi";
import { formatTraceparent } from "../../lib/trace";
import { publishAfterResponse, serviceContext, withEtag } from "../http";
import { CreateEvent, EventSchema } from "./schemas";

// Read the body as text before the validator parses it, so that the payload can be measured as
// sent (Hono hands the cached text to the validator).
const keepRawBody = createMiddleware<AppEnv>(async (c, next) => {
  await c.req.text();
  await next();
});

const route = protectedRoute("events:write", {
  method: "post",
  path: "/api/v1/events",
  tags: ["Events"],
  summary: "Record an event; its payload must satisfy the receiver's schema",
  description:
    "Stored with its outbox message and any group completion it causes, in one transaction: the completion exists when this returns.",
  middleware: [keepRawBody] as const,
  request: { body: jsonBody(CreateEvent) },
  responses: {
    201: {
      description: "Created",
      content: { "application/json": { schema: z.object({ data: EventSchema }) } },
    },
    ...errorResponses(400, 404, 409, 413, 415, 422, 429),
  },
});

export const registerCreateEvent = (app: AppRouter) =>
  app.openapi(route, async (c) => {
    const ctx = {
      ...serviceContext(c),
      requestId: c.get("requestId"),
      traceparent: formatTraceparent(c.get("trace")),
    };
    const payloadText = rawMember(await c.req.text(), "payload") ?? "";
    const payloadBytes = new TextEncoder().encode(payloadText).length;
    const { event, completions } = await createEvent(ctx, c.req.valid("json"), payloadBytes);
    c.get("metrics").inc("xzepr_events_ingested_total");
    if (completions > 0) c.get("metrics").inc("xzepr_group_completions_total", {}, completions);
    publishAfterResponse(c, [outboxKey(event.tenantId, event.eventReceiverId)]);
    const { body, etag } = await withEtag(c, eventView(event));
    return c.json(body, 201, { ETag: etag, Location: `/api/v1/events/${event.id}` });
  });
