import { z } from "@hono/zod-openapi";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context";
import { outboxKey } from "../../domain/cloud-events";
import { createEvent, type EventRow, eventView, type NewEvent } from "../../domain/events";
import { storeResponse } from "../../domain/idempotency";
import { rawMember } from "../../lib/json-span";
import { formatTraceparent } from "../../lib/trace";
import { storedResponse } from "../../middleware/idempotency";
import { serviceContext, withEtag } from "../http";
import { CREATED_HEADERS, createRouter, errorResponses, jsonBody, protectedRoute } from "../openapi";
import { CreateEvent, EventSchema } from "./schemas";

// Read the body as text before the validator parses it, so that the payload can be measured as
// sent (Hono hands the cached text to the validator).
const keepRawBody = createMiddleware<AppEnv>(async (c, next) => {
  await c.req.text();
  await next();
});

const route = protectedRoute("events:write", {
  method: "post",
  operationId: "createEvent",
  path: "/api/v1/events",
  tags: ["Events"],
  summary: "Record an event; its payload must satisfy the receiver's schema",
  description:
    "Stored with its outbox message and any group completion it causes, in one transaction and one database round trip: the completion exists when this returns.",
  middleware: [keepRawBody] as const,
  request: { body: jsonBody(CreateEvent) },
  responses: {
    201: {
      headers: CREATED_HEADERS,
      description: "Created",
      content: { "application/json": { schema: z.object({ data: EventSchema }) } },
    },
    ...errorResponses(400, 404, 409, 413, 415, 422, 429),
  },
});

/**
 * Records an event as every route that creates one does (REST here, GraphQL's `create_event`):
 * stored with its outbox message and completions, counted, its key's relay woken, and counted
 * against the tenant's quota when the request ends. `alsoWrite` joins the same round trip.
 */
export async function ingest(
  c: Context<AppEnv>,
  input: NewEvent,
  payloadBytes: number,
  alsoWrite?: (event: EventRow) => Promise<BatchItem<"pg">[]>,
): Promise<EventRow> {
  const ctx = {
    ...serviceContext(c),
    requestId: c.get("requestId"),
    traceparent: formatTraceparent(c.get("trace")),
  };
  const { event, completions, webhooks } = await createEvent(ctx, input, payloadBytes, alsoWrite);
  c.set("eventsCreated", (c.get("eventsCreated") ?? 0) + 1);
  c.get("metrics").inc("xzepr_events_ingested_total");
  if (completions > 0) c.get("metrics").inc("xzepr_group_completions_total", {}, completions);
  c.get("publisher").publish([outboxKey(event.tenantId, event.eventReceiverId)]);
  if (webhooks > 0) c.get("publisher").deliverWebhooks(event.tenantId);
  return event;
}

export const createEventEndpoint = createRouter().openapi(route, async (c) => {
  const payloadText = rawMember(await c.req.text(), "payload") ?? "";
  const payloadBytes = new TextEncoder().encode(payloadText).length;
  // The response is known before the write, so an Idempotency-Key's stored response goes in the
  // same batch as the event: one round trip, and no window where one exists without the other.
  const created = async (row: EventRow) => {
    const { body, etag } = await withEtag(c, eventView(row));
    return c.json(body, 201, { ETag: etag, Location: `/api/v1/events/${row.id}` });
  };
  let response: Awaited<ReturnType<typeof created>> | undefined;
  const claimed = c.get("idempotencyKey");
  await ingest(c, c.req.valid("json"), payloadBytes, async (row) => {
    response = await created(row);
    return claimed ? [storeResponse(claimed.scope, await storedResponse(response))] : [];
  });
  if (claimed) claimed.stored = true;
  if (!response) throw new Error("createEvent returned without making the response");
  return response;
});
