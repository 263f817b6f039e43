// Event receivers: typed destinations whose JSON Schema every event payload must satisfy.
import { and, eq, inArray } from "drizzle-orm";
import { ulid } from "ulidx";
import { eqIfGiven } from "../db/filters";
import { tenantPage } from "../db/pages";
import { eventReceivers } from "../db/schema";
import { ApiError } from "../lib/errors";
import { withAudit } from "./audit";
import { conflictOnDuplicate, hasSqlState, type ServiceContext } from "./context";
import { receiverFingerprint } from "./fingerprint";
import { checkSchemaDocument } from "./json-schema";

export type ReceiverRow = typeof eventReceivers.$inferSelect;

export function receiverView(row: ReceiverRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    version: row.version,
    description: row.description,
    schema: row.schema as Record<string, unknown>,
    fingerprint: row.fingerprint,
    created_at: row.createdAt.toISOString(),
  };
}

const notFound = () => new ApiError(404, "NOT_FOUND", "No such event receiver.");

export interface NewReceiver {
  name: string;
  type: string;
  version: string;
  description: string;
  schema: Record<string, unknown>;
}

export async function createReceiver(ctx: ServiceContext, input: NewReceiver): Promise<ReceiverRow> {
  const problems = checkSchemaDocument(input.schema);
  if (problems.length > 0) {
    throw new ApiError(400, "VALIDATION_FAILED", "The schema is not a valid JSON Schema.", {
      details: problems,
    });
  }
  const fingerprint = await receiverFingerprint(input);
  const id = ulid();
  const [row] = await conflictOnDuplicate(
    "An event receiver with this name, type and version already exists.",
    () =>
      withAudit(ctx, { action: "receiver.create", resourceType: "event_receiver", resourceId: id }, (tx) =>
        tx
          .insert(eventReceivers)
          .values({ id, tenantId: ctx.tenantId, ...input, fingerprint })
          .returning(),
      ),
  );
  return row as ReceiverRow;
}

export async function getReceiver(ctx: ServiceContext, id: string): Promise<ReceiverRow> {
  const [row] = await ctx.db
    .select()
    .from(eventReceivers)
    .where(and(eq(eventReceivers.tenantId, ctx.tenantId), eq(eventReceivers.id, id)));
  if (!row) throw notFound();
  return row;
}

export interface ReceiverFilter {
  id?: string | undefined;
  name?: string | undefined;
  type?: string | undefined;
  version?: string | undefined;
}

export function listReceivers(
  ctx: ServiceContext,
  filter: ReceiverFilter,
  page: { limit: number; after?: string | undefined },
) {
  return tenantPage(ctx.db, eventReceivers, ctx.tenantId, page, [
    eqIfGiven(eventReceivers.id, filter.id),
    eqIfGiven(eventReceivers.name, filter.name),
    eqIfGiven(eventReceivers.type, filter.type),
    eqIfGiven(eventReceivers.version, filter.version),
  ]);
}

/** The tenant's receivers of these ids, in one query (ids of other tenants find nothing). */
export function receiversByIds(ctx: ServiceContext, ids: string[]): Promise<ReceiverRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return ctx.db
    .select()
    .from(eventReceivers)
    .where(and(eq(eventReceivers.tenantId, ctx.tenantId), inArray(eventReceivers.id, ids)));
}

/** Only the description may change: name, type, version and schema are the receiver's identity. */
export function updateReceiver(ctx: ServiceContext, id: string, changes: { description: string }) {
  return withAudit(
    ctx,
    { action: "receiver.update", resourceType: "event_receiver", resourceId: id },
    async (tx) => {
      const [row] = await tx
        .update(eventReceivers)
        .set({ description: changes.description, updatedAt: ctx.now })
        .where(and(eq(eventReceivers.tenantId, ctx.tenantId), eq(eventReceivers.id, id)))
        .returning();
      if (!row) throw notFound();
      return row;
    },
  );
}

/** 409 while any event or group references the receiver (the foreign keys decide). */
export async function deleteReceiver(ctx: ServiceContext, id: string): Promise<void> {
  try {
    await withAudit(
      ctx,
      { action: "receiver.delete", resourceType: "event_receiver", resourceId: id },
      async (tx) => {
        const deleted = await tx
          .delete(eventReceivers)
          .where(and(eq(eventReceivers.tenantId, ctx.tenantId), eq(eventReceivers.id, id)))
          .returning({ id: eventReceivers.id });
        if (deleted.length === 0) throw notFound();
      },
    );
  } catch (error) {
    if (hasSqlState(error, "23503")) {
      throw new ApiError(
        409,
        "CONFLICT",
        "The event receiver is referenced by events or groups and cannot be deleted.",
      );
    }
    throw error;
  }
}
