// Events: immutable facts about build artifacts. Creating one validates its payload against the
// receiver's schema and, in one transaction, stores it, writes its outbox message, and decides
// group completion for every enabled group the receiver belongs to.
import { and, asc, desc, eq, gte, inArray, lt } from "drizzle-orm";
import { encodeTime, ulid } from "ulidx";
import type { Transaction } from "../db/client";
import { eqIfGiven } from "../db/filters";
import {
  eventReceivers,
  events,
  groupCompletions,
  groupKeyStates,
  groupMembers,
  outbox,
  receiverGroups,
} from "../db/schema";
import { ApiError } from "../lib/errors";
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

/** The artifact an event is about; a group completes per key. */
type ArtifactKey = Pick<EventRow, "name" | "version" | "release" | "platformId" | "package">;

export interface CreatedEvent {
  event: EventRow;
  completions: number;
}

/** `payloadBytes`: the UTF-8 size of the payload's JSON as the client sent it (API.md). */
export async function createEvent(
  ctx: ServiceContext & MessageContext,
  input: NewEvent,
  payloadBytes: number,
): Promise<CreatedEvent> {
  const [receiver] = await ctx.db
    .select()
    .from(eventReceivers)
    .where(and(eq(eventReceivers.tenantId, ctx.tenantId), eq(eventReceivers.id, input.event_receiver_id)));
  if (!receiver) throw new ApiError(404, "NOT_FOUND", "No such event receiver.");

  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    throw new ApiError(
      413,
      "PAYLOAD_TOO_LARGE",
      `The payload is ${payloadBytes} bytes; at most ${MAX_PAYLOAD_BYTES} are accepted.`,
    );
  }
  const violations = validatePayload(receiver.schema as object, receiver.fingerprint, input.payload);
  if (violations.length > 0) {
    throw new ApiError(400, "VALIDATION_FAILED", "The payload does not satisfy the receiver's schema.", {
      details: violations,
    });
  }

  const row: EventRow = {
    id: ulid(),
    tenantId: ctx.tenantId,
    eventReceiverId: receiver.id,
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
  return ctx.db.transaction(async (tx) => {
    await tx.insert(events).values(row);
    await tx.insert(outbox).values(
      outboxMessage(ctx, {
        id: row.id,
        type: "xzepr.event.created",
        receiverId: receiver.id,
        source: `xzepr/${ctx.tenantId}/receivers/${receiver.id}`,
        subject: `${row.name}@${row.version}`,
        time: row.createdAt,
        data: eventView(row),
      }),
    );
    const completions = await decideCompletions(tx, ctx, row);
    return { event: row, completions };
  });
}

/**
 * For each enabled group containing the event's receiver: lock the group's state for the
 * artifact key (so concurrent events on the key are serialized), then compare every member's
 * latest event for the key. A transition to all-green records one completion; any member's
 * later failure makes the group incomplete again, so a later all-green records a new one.
 */
async function decideCompletions(
  tx: Transaction,
  ctx: ServiceContext & MessageContext,
  event: EventRow,
): Promise<number> {
  const groups = await tx
    .select({ id: receiverGroups.id })
    .from(receiverGroups)
    .innerJoin(groupMembers, eq(groupMembers.groupId, receiverGroups.id))
    .where(
      and(
        eq(receiverGroups.tenantId, ctx.tenantId),
        eq(receiverGroups.enabled, true),
        eq(groupMembers.tenantId, ctx.tenantId),
        eq(groupMembers.eventReceiverId, event.eventReceiverId),
      ),
    )
    // One lock order for every transaction: no deadlock between events touching the same groups.
    .orderBy(asc(receiverGroups.id));

  const key: ArtifactKey = {
    name: event.name,
    version: event.version,
    release: event.release,
    platformId: event.platformId,
    package: event.package,
  };
  const sameKey = (table: typeof events | typeof groupKeyStates) =>
    and(
      eq(table.name, key.name),
      eq(table.version, key.version),
      eq(table.release, key.release),
      eq(table.platformId, key.platformId),
      eq(table.package, key.package),
    );

  let recorded = 0;
  for (const group of groups) {
    await tx
      .insert(groupKeyStates)
      .values({ tenantId: ctx.tenantId, groupId: group.id, ...key })
      .onConflictDoNothing();
    const [state] = await tx
      .select({ complete: groupKeyStates.complete })
      .from(groupKeyStates)
      .where(and(eq(groupKeyStates.groupId, group.id), sameKey(groupKeyStates)))
      .for("update");
    // Read after the lock: under READ COMMITTED this statement sees every event committed before it.
    const members = await tx
      .select({ receiverId: groupMembers.eventReceiverId })
      .from(groupMembers)
      .where(and(eq(groupMembers.tenantId, ctx.tenantId), eq(groupMembers.groupId, group.id)));
    const latest = await tx
      .selectDistinctOn([events.eventReceiverId], {
        receiverId: events.eventReceiverId,
        id: events.id,
        success: events.success,
      })
      .from(events)
      .where(
        and(
          eq(events.tenantId, ctx.tenantId),
          inArray(
            events.eventReceiverId,
            members.map((member) => member.receiverId),
          ),
          sameKey(events),
        ),
      )
      .orderBy(events.eventReceiverId, desc(events.id));
    const allGreen =
      members.length > 0 && latest.length === members.length && latest.every((entry) => entry.success);

    if (allGreen && !state?.complete) {
      const completion = {
        id: ulid(),
        tenantId: ctx.tenantId,
        groupId: group.id,
        ...key,
        eventIds: latest.map((entry) => entry.id).sort(),
        createdAt: ctx.now,
      };
      await tx.insert(groupCompletions).values(completion);
      await tx.insert(outbox).values(
        outboxMessage(ctx, {
          id: completion.id,
          type: "xzepr.group.completed",
          receiverId: event.eventReceiverId,
          source: `xzepr/${ctx.tenantId}/groups/${group.id}`,
          subject: `${key.name}@${key.version}`,
          time: ctx.now,
          data: completionView(completion),
        }),
      );
      recorded++;
    }
    if (allGreen !== Boolean(state?.complete)) {
      await tx
        .update(groupKeyStates)
        .set({ complete: allGreen })
        .where(and(eq(groupKeyStates.groupId, group.id), sameKey(groupKeyStates)));
    }
  }
  return recorded;
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
  return ctx.db
    .select()
    .from(events)
    .where(
      and(
        eq(events.tenantId, ctx.tenantId),
        eqIfGiven(events.eventReceiverId, filter.event_receiver_id),
        eqIfGiven(events.name, filter.name),
        eqIfGiven(events.version, filter.version),
        eqIfGiven(events.release, filter.release),
        eqIfGiven(events.platformId, filter.platform_id),
        eqIfGiven(events.package, filter.package),
        eqIfGiven(events.success, filter.success),
        filter.since ? gte(events.id, firstIdAt(filter.since)) : undefined,
        filter.until ? lt(events.id, firstIdAt(filter.until)) : undefined,
        page.after ? lt(events.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(events.id))
    .limit(page.limit);
}
