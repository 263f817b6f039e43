// Receiver groups: sets of event receivers that together decide when an artifact is complete.
import { and, desc, eq, getTableColumns, inArray, lt, sql } from "drizzle-orm";
import { ulid } from "ulidx";
import type { Transaction } from "../db/client";
import { eqIfGiven } from "../db/filters";
import { tenantPage } from "../db/pages";
import { eventReceivers, groupCompletions, groupMembers, receiverGroups } from "../db/schema";
import { ApiError } from "../lib/errors";
import { withAudit } from "./audit";
import { conflictOnDuplicate, type ServiceContext } from "./context";
import { groupFingerprint } from "./fingerprint";

// Completions share one representation with their Kafka message (built by event ingestion).
export { completionView } from "./events";

export type GroupRow = typeof receiverGroups.$inferSelect & { memberIds: string[] };

export function groupView(row: GroupRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    version: row.version,
    description: row.description,
    enabled: row.enabled,
    fingerprint: row.fingerprint,
    event_receiver_ids: row.memberIds,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const notFound = () => new ApiError(404, "NOT_FOUND", "No such receiver group.");

/**
 * The group's member ids in one round trip with the group itself. COLLATE "C" sorts ULIDs as
 * bytes, the order JavaScript's sort gives the ids of a freshly replaced set.
 */
const memberIds = sql<string[]>`coalesce((
  select array_agg(${groupMembers.eventReceiverId} order by ${groupMembers.eventReceiverId} collate "C")
  from ${groupMembers}
  where ${groupMembers.groupId} = ${receiverGroups.id} and ${groupMembers.tenantId} = ${receiverGroups.tenantId}
), '{}')`;

const groupColumns = { ...getTableColumns(receiverGroups), memberIds };

const inTenant = (ctx: ServiceContext, id: string) =>
  and(eq(receiverGroups.tenantId, ctx.tenantId), eq(receiverGroups.id, id));

/**
 * 400 naming every id that is not an event receiver of the tenant. The KEY SHARE lock keeps the
 * receivers from being deleted until the transaction that adds them as members commits.
 */
async function assertReceivers(tx: Transaction, ctx: ServiceContext, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await tx
    .select({ id: eventReceivers.id })
    .from(eventReceivers)
    .where(and(eq(eventReceivers.tenantId, ctx.tenantId), inArray(eventReceivers.id, ids)))
    .for("key share");
  const known = new Set(found.map((row) => row.id));
  const details = ids.flatMap((id, index) =>
    known.has(id)
      ? []
      : [{ path: `event_receiver_ids.${index}`, message: `No event receiver ${id} exists in this tenant.` }],
  );
  if (details.length > 0) {
    throw new ApiError(400, "VALIDATION_FAILED", "Every member must be an event receiver of the tenant.", {
      details,
    });
  }
}

async function insertMembers(tx: Transaction, ctx: ServiceContext, groupId: string, ids: string[]) {
  if (ids.length === 0) return;
  await tx
    .insert(groupMembers)
    .values(ids.map((eventReceiverId) => ({ tenantId: ctx.tenantId, groupId, eventReceiverId })));
}

export interface NewGroup {
  name: string;
  type: string;
  version: string;
  description: string;
  enabled: boolean;
  event_receiver_ids: string[];
}

export async function createGroup(ctx: ServiceContext, input: NewGroup): Promise<GroupRow> {
  const { event_receiver_ids: ids, ...fields } = input;
  const fingerprint = await groupFingerprint(fields);
  const id = ulid();
  return conflictOnDuplicate("A receiver group with this name, type and version already exists.", () =>
    withAudit(ctx, { action: "group.create", resourceType: "receiver_group", resourceId: id }, async (tx) => {
      await assertReceivers(tx, ctx, ids);
      const [row] = await tx
        .insert(receiverGroups)
        .values({
          id,
          tenantId: ctx.tenantId,
          ...fields,
          fingerprint,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        })
        .returning();
      if (!row) throw new Error("insert returned no row");
      await insertMembers(tx, ctx, row.id, ids);
      return { ...row, memberIds: [...ids].sort() };
    }),
  );
}

export async function getGroup(ctx: ServiceContext, id: string): Promise<GroupRow> {
  const [row] = await ctx.db.select(groupColumns).from(receiverGroups).where(inTenant(ctx, id));
  if (!row) throw notFound();
  return row;
}

export interface GroupFilter {
  id?: string | undefined;
  name?: string | undefined;
  type?: string | undefined;
  version?: string | undefined;
  enabled?: boolean | undefined;
}

export interface Page {
  limit: number;
  after?: string | undefined;
}

export function listGroups(ctx: ServiceContext, filter: GroupFilter, page: Page): Promise<GroupRow[]> {
  return ctx.db
    .select(groupColumns)
    .from(receiverGroups)
    .where(
      and(
        eq(receiverGroups.tenantId, ctx.tenantId),
        eqIfGiven(receiverGroups.id, filter.id),
        eqIfGiven(receiverGroups.name, filter.name),
        eqIfGiven(receiverGroups.type, filter.type),
        eqIfGiven(receiverGroups.version, filter.version),
        eqIfGiven(receiverGroups.enabled, filter.enabled),
        page.after ? lt(receiverGroups.id, page.after) : undefined,
      ),
    )
    .orderBy(desc(receiverGroups.id))
    .limit(page.limit);
}

/** Name, type and version are the group's identity (and fingerprint): only description and enabled change. */
export async function updateGroup(
  ctx: ServiceContext,
  id: string,
  changes: { description?: string | undefined; enabled?: boolean | undefined },
): Promise<GroupRow> {
  const { description, enabled } = changes;
  // An empty PATCH changes nothing, not even updated_at (and so not the ETag).
  if (description === undefined && enabled === undefined) return getGroup(ctx, id);
  return withAudit(
    ctx,
    { action: "group.update", resourceType: "receiver_group", resourceId: id },
    async (tx) => {
      const [row] = await tx
        .update(receiverGroups)
        .set({
          ...(description !== undefined ? { description } : {}),
          ...(enabled !== undefined ? { enabled } : {}),
          updatedAt: ctx.now,
        })
        .where(inTenant(ctx, id))
        .returning(groupColumns);
      if (!row) throw notFound();
      return row;
    },
  );
}

/** Members, key states and completions go with the group (ON DELETE CASCADE). */
export async function deleteGroup(ctx: ServiceContext, id: string): Promise<void> {
  await withAudit(
    ctx,
    { action: "group.delete", resourceType: "receiver_group", resourceId: id },
    async (tx) => {
      const deleted = await tx
        .delete(receiverGroups)
        .where(inTenant(ctx, id))
        .returning({ id: receiverGroups.id });
      if (deleted.length === 0) throw notFound();
    },
  );
}

/**
 * Replaces the member set. Updating the group row first locks it, so concurrent replacements
 * apply one after the other instead of merging their sets.
 */
export function replaceMembers(ctx: ServiceContext, id: string, ids: string[]): Promise<GroupRow> {
  const entry = { action: "group.members_replace", resourceType: "receiver_group", resourceId: id };
  return withAudit(ctx, entry, async (tx) => {
    const [row] = await tx
      .update(receiverGroups)
      .set({ updatedAt: ctx.now })
      .where(inTenant(ctx, id))
      .returning();
    if (!row) throw notFound();
    await assertReceivers(tx, ctx, ids);
    await tx
      .delete(groupMembers)
      .where(and(eq(groupMembers.tenantId, ctx.tenantId), eq(groupMembers.groupId, id)));
    await insertMembers(tx, ctx, id, ids);
    return { ...row, memberIds: [...ids].sort() };
  });
}

export interface CompletionFilter {
  name?: string | undefined;
  version?: string | undefined;
  release?: string | undefined;
  platform_id?: string | undefined;
  package?: string | undefined;
}

/** The group's completions, newest first; 404 when the group is not the tenant's. */
export async function listCompletions(
  ctx: ServiceContext,
  groupId: string,
  filter: CompletionFilter,
  page: Page,
) {
  const [group] = await ctx.db
    .select({ id: receiverGroups.id })
    .from(receiverGroups)
    .where(inTenant(ctx, groupId));
  if (!group) throw notFound();
  return tenantPage(ctx.db, groupCompletions, ctx.tenantId, page, [
    eq(groupCompletions.groupId, groupId),
    eqIfGiven(groupCompletions.name, filter.name),
    eqIfGiven(groupCompletions.version, filter.version),
    eqIfGiven(groupCompletions.release, filter.release),
    eqIfGiven(groupCompletions.platformId, filter.platform_id),
    eqIfGiven(groupCompletions.package, filter.package),
  ]);
}
