// Events: immutable facts about build artifacts. Creating one validates its payload against the
// receiver's schema and, in one round trip and one transaction, stores it, writes its outbox
// message, and decides group completion for every enabled group the receiver belongs to.
//
// The completion rule (drizzle/0005_ingest_function.sql): for each enabled group containing the
// event's receiver, lock the group's state row for the artifact key (concurrent events on the key
// are serialized), then compare every member's latest event for the key. A transition to
// all-green records one completion; a member's later failure makes the group incomplete again,
// so a later all-green records a new one.
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { encodeTime, ulid } from "ulidx";
import { eqIfGiven } from "../db/filters";
import { tenantPage } from "../db/pages";
import { eventReceivers, events, type groupCompletions } from "../db/schema";
import { ApiError, sqlStateOf } from "../lib/errors";
import { type MessageContext, outboxMessage } from "./cloud-events";
import type { ServiceContext } from "./context";
import { validatePayload } from "./json-schema";

export type EventRow = typeof events.$inferSelect;

export const MAX_PAYLOAD_BYTES = 256 * 1024;

export function eventView(row: EventRow) {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    release: row.release,
    platform_id: row.platformId,
    package: row.package,
    description: row.description,
    payload: row.payload as Record<string, unknown>,
    success: row.success,
    event_receiver_id: row.eventReceiverId,
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    request_id: row.requestId,
  };
}

export interface NewEvent {
  name: string;
  version: string;
  release: string;
  platform_id: string;
  package: string;
  description: string;
  payload: Record<string, unknown>;
  success: boolean;
  event_receiver_id: string;
}

export interface CreatedEvent {
  event: EventRow;
  completions: number;
  /** Webhook deliveries queued for the event and its completions. */
  webhooks: number;
}

/** What ingest needs of a receiver: it never changes (only `description` may), so it is cached. */
interface IngestTarget {
  schema: object;
  fingerprint: string;
}

// `<tenant>:<receiver id>` → the receiver, per isolate. A deleted receiver may linger here; the
// write refuses it (the function checks the receiver in its own transaction) and it is dropped.
const targets = new Map<string, IngestTarget>();
const MAX_TARGETS = 10_000;

async function ingestTarget(ctx: ServiceContext, receiverId: string): Promise<IngestTarget> {
  const id = `${ctx.tenantId}:${receiverId}`;
  const cached = targets.get(id);
  if (cached) return cached;
  const [receiver] = await ctx.db
    .select({ schema: eventReceivers.schema, fingerprint: eventReceivers.fingerprint })
    .from(eventReceivers)
    .where(and(eq(eventReceivers.tenantId, ctx.tenantId), eq(eventReceivers.id, receiverId)));
  if (!receiver) throw receiverNotFound();
  if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value as string);
  const target = { schema: receiver.schema as object, fingerprint: receiver.fingerprint };
  targets.set(id, target);
  return target;
}

const receiverNotFound = () => new ApiError(404, "NOT_FOUND", "No such event receiver.");

/**
 * Validates the payload against the receiver's schema (cached: no round trip once this isolate
 * has seen the receiver), then writes in ONE round trip: `xzepr_ingest_event` (migration 0005)
 * stores the event and its outbox message and decides every group completion it causes, in one
 * transaction; `alsoWrite` may add statements to the same batch (the stored idempotent
 * response). `payloadBytes`: the UTF-8 size of the payload's JSON as the client sent it (API.md).
 */
export async function createEvent(
  ctx: ServiceContext & MessageContext,
  input: NewEvent,
  payloadBytes: number,
  alsoWrite?: (event: EventRow) => Promise<BatchItem<"pg">[]>,
): Promise<CreatedEvent> {
  const target = await ingestTarget(ctx, input.event_receiver_id);
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    throw new ApiError(
      413,
      "PAYLOAD_TOO_LARGE",
      `The payload is ${payloadBytes} bytes; at most ${MAX_PAYLOAD_BYTES} are accepted.`,
    );
  }
  const violations = validatePayload(target.schema, target.fingerprint, input.payload);
  if (violations.length > 0) {
    throw new ApiError(400, "VALIDATION_FAILED", "The payload does not satisfy the receiver's schema.", {
      details: violations,
    });
  }

  const row: EventRow = {
    id: ulid(),
    tenantId: ctx.tenantId,
    eventReceiverId: input.event_receiver_id,
    name: input.name,
    version: input.version,
    release: input.release,
    platformId: input.platform_id,
    package: input.package,
    description: input.description,
    payload: input.payload,
    success: input.success,
    createdAt: ctx.now,
    createdBy: ctx.principal.id,
    requestId: ctx.requestId,
  };
  const message = outboxMessage(ctx, {
    id: row.id,
    type: "xzepr.event.created",
    receiverId: row.eventReceiverId,
    source: `xzepr/${ctx.tenantId}/receivers/${row.eventReceiverId}`,
    subject: `${row.name}@${row.version}`,
    time: row.createdAt,
    data: eventView(row),
  });
  // The function reads the event by its column names, and id, topic, key, value and headers of
  // the message.
  const record = { ...eventView(row), tenant_id: row.tenantId };
  // The webhook deliveries the outbox trigger queued (drizzle/0006) are counted in a setting of
  // the transaction, read once the function has run (OFFSET 0 keeps it from being inlined).
  const ingest = ctx.db.execute<{ completions: number; webhooks: number }>(
    sql`select r.completions, coalesce(nullif(current_setting('xzepr.webhook_deliveries', true), ''), '0')::integer as webhooks
          from (select xzepr_ingest_event(${JSON.stringify(record)}::jsonb, ${JSON.stringify(message)}::jsonb, ${row.createdAt.toISOString()}) as completions offset 0) r`,
  );
  const extra = alsoWrite ? await alsoWrite(row) : [];
  try {
    const [result] = await ctx.db.batch([ingest, ...extra]);
    const counts = result.rows[0];
    return {
      event: row,
      completions: Number(counts?.completions ?? 0),
      webhooks: Number(counts?.webhooks ?? 0),
    };
  } catch (error) {
    if (sqlStateOf(error) !== "P0002") throw error;
    targets.delete(`${ctx.tenantId}:${input.event_receiver_id}`);
    throw receiverNotFound();
  }
}

export function completionView(
  row: typeof groupCompletions.$inferSelect | (typeof groupCompletions.$inferInsert & { createdAt: Date }),
) {
  return {
    id: row.id,
    group_id: row.groupId,
    name: row.name,
    version: row.version,
    release: row.release,
    platform_id: row.platformId,
    package: row.package,
    event_ids: row.eventIds,
    created_at: row.createdAt.toISOString(),
  };
}

export async function getEvent(ctx: ServiceContext, id: string): Promise<EventRow> {
  const [row] = await ctx.db
    .select()
    .from(events)
    .where(and(eq(events.tenantId, ctx.tenantId), eq(events.id, id)));
  if (!row) throw new ApiError(404, "NOT_FOUND", "No such event.");
  return row;
}

export interface EventFilter {
  id?: string | undefined;
  event_receiver_id?: string | undefined;
  name?: string | undefined;
  version?: string | undefined;
  release?: string | undefined;
  platform_id?: string | undefined;
  package?: string | undefined;
  success?: boolean | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

/** The smallest ULID of a millisecond: ids are time-ordered, so time ranges are id ranges. */
const firstIdAt = (time: Date) => `${encodeTime(time.getTime(), 10)}${"0".repeat(16)}`;

export function listEvents(
  ctx: ServiceContext,
  filter: EventFilter,
  page: { limit: number; after?: string | undefined },
) {
  return tenantPage(ctx.db, events, ctx.tenantId, page, [
    eqIfGiven(events.id, filter.id),
    eqIfGiven(events.eventReceiverId, filter.event_receiver_id),
    eqIfGiven(events.name, filter.name),
    eqIfGiven(events.version, filter.version),
    eqIfGiven(events.release, filter.release),
    eqIfGiven(events.platformId, filter.platform_id),
    eqIfGiven(events.package, filter.package),
    eqIfGiven(events.success, filter.success),
    filter.since ? gte(events.id, firstIdAt(filter.since)) : undefined,
    filter.until ? lt(events.id, firstIdAt(filter.until)) : undefined,
  ]);
}
