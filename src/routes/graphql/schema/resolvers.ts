// The resolvers: each calls the domain service its REST route calls, with the same input schema,
// tenant scoping, permission, audit entry and outbox message. Nothing here touches a table.
import type { z } from "@hono/zod-openapi";
import type { GraphQLFieldResolver } from "graphql";
import type { Context } from "hono";
import type { AppEnv } from "../../../context";
import type { ServiceContext } from "../../../domain/context";
import { eventView, getEvent, listEvents } from "../../../domain/events";
import {
  completionView,
  createGroup,
  getGroup,
  groupView,
  listCompletions,
  listGroups,
  updateGroup,
} from "../../../domain/groups";
import { type Permission, permissionsFor } from "../../../domain/permissions";
import { describeCaller } from "../../../domain/principals";
import { createReceiver, getReceiver, listReceivers, receiverView } from "../../../domain/receivers";
import { ApiError } from "../../../lib/errors";
import { decodeCursor, encodeCursor } from "../../../lib/pagination";
import { forbidden } from "../../../middleware/auth";
import { ingest } from "../../events/create-event";
import { CreateEvent } from "../../events/schemas";
import { CreateGroup } from "../../groups/schemas";
import { ULID } from "../../http";
import { CreateReceiver } from "../../receivers/schemas";
import { tenantUsage } from "../../usage/get-usage";
import type { ReceiverLoader } from "./loaders";

export interface GraphqlContext extends Record<PropertyKey, unknown> {
  c: Context<AppEnv>;
  service: ServiceContext;
  receivers: ReceiverLoader;
}

type Resolver = GraphQLFieldResolver<never, GraphqlContext, never>;
type Args = Record<string, unknown>;

/** EPR's plain lists: at most this many items, newest first. */
export const EPR_LIST_LIMIT = 200;
const PAGE_SIZE = { min: 1, max: 200 };

/** FORBIDDEN (logged, counted and audited as a REST refusal) unless the caller's roles allow it. */
function allow(ctx: GraphqlContext, permission: Permission): void {
  const principal = ctx.c.get("principal");
  if (!permissionsFor(principal.roles).includes(permission)) throw forbidden(ctx.c, principal, permission);
}

/** An input checked by the REST route's own schema: the same rules, the same details. */
function valid<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, "VALIDATION_FAILED", "The input is invalid.", {
    details: parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue.message,
    })),
  });
}

/** A filter without its null fields: GraphQL's explicit null means "not given" here. */
function given<T extends object>(input: T | null | undefined): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input ?? {}).filter(([, value]) => value !== null)) as {
    [K in keyof T]?: Exclude<T[K], null>;
  };
}

/** A NOT_FOUND of the service as an empty list: EPR's `*_by_id` answer none or one. */
async function noneIfMissing<T>(lookup: () => Promise<T>): Promise<T[]> {
  try {
    return [await lookup()];
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

/** By id: an id that is not a ULID names nothing, so no query is made for it. */
function byId<T>(id: string, lookup: (id: string) => Promise<T>): Promise<T[]> {
  return ULID.safeParse(id).success ? noneIfMissing(() => lookup(id)) : Promise.resolve([]);
}

interface ConnectionArgs {
  first: number;
  after?: string | null;
}

/** A Relay connection over a newest-first list query; cursors are the REST cursors. */
async function connection<T extends { id: string }>(
  ctx: GraphqlContext,
  args: ConnectionArgs,
  list: (page: { limit: number; after?: string | undefined }) => Promise<T[]>,
) {
  if (!Number.isInteger(args.first) || args.first < PAGE_SIZE.min || args.first > PAGE_SIZE.max) {
    throw new ApiError(400, "VALIDATION_FAILED", "The input is invalid.", {
      details: [{ path: "first", message: `must be an integer from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}` }],
    });
  }
  const secret = ctx.service.config.CURSOR_SECRET;
  const after = args.after ? (await decodeCursor(secret, args.after)).after : undefined;
  const rows = await list({ limit: args.first + 1, after });
  const nodes = rows.slice(0, args.first);
  const edges = await Promise.all(
    nodes.map(async (node) => ({ cursor: await encodeCursor(secret, { after: node.id }), node })),
  );
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > args.first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

const eprPage = { limit: EPR_LIST_LIMIT };

const Query: Record<string, Resolver> = {
  events_by_id: (_, { id }: { id: string }, ctx) => {
    allow(ctx, "events:read");
    return byId(id, async (known) => eventView(await getEvent(ctx.service, known)));
  },
  event_receivers_by_id: (_, { id }: { id: string }, ctx) => {
    allow(ctx, "receivers:read");
    return byId(id, async (known) => receiverView(await getReceiver(ctx.service, known)));
  },
  event_receiver_groups_by_id: (_, { id }: { id: string }, ctx) => {
    allow(ctx, "groups:read");
    return byId(id, async (known) => groupView(await getGroup(ctx.service, known)));
  },
  events: async (_, { event }: { event: Args }, ctx) => {
    allow(ctx, "events:read");
    return (await listEvents(ctx.service, given(event), eprPage)).map(eventView);
  },
  event_receivers: async (_, { event_receiver }: { event_receiver: Args }, ctx) => {
    allow(ctx, "receivers:read");
    return (await listReceivers(ctx.service, given(event_receiver), eprPage)).map(receiverView);
  },
  event_receiver_groups: async (_, { event_receiver_group }: { event_receiver_group: Args }, ctx) => {
    allow(ctx, "groups:read");
    return (await listGroups(ctx.service, given(event_receiver_group), eprPage)).map(groupView);
  },
  eventsConnection: (_, args: ConnectionArgs & { filter?: Args | null }, ctx) => {
    allow(ctx, "events:read");
    return connection(ctx, args, async (page) =>
      (await listEvents(ctx.service, given(args.filter), page)).map(eventView),
    );
  },
  receiversConnection: (_, args: ConnectionArgs & { filter?: Args | null }, ctx) => {
    allow(ctx, "receivers:read");
    return connection(ctx, args, async (page) =>
      (await listReceivers(ctx.service, given(args.filter), page)).map(receiverView),
    );
  },
  groupsConnection: (_, args: ConnectionArgs & { filter?: Args | null }, ctx) => {
    allow(ctx, "groups:read");
    return connection(ctx, args, async (page) =>
      (await listGroups(ctx.service, given(args.filter), page)).map(groupView),
    );
  },
  completionsConnection: (_, args: ConnectionArgs & { group_id: string; filter?: Args | null }, ctx) => {
    allow(ctx, "groups:read");
    if (!ULID.safeParse(args.group_id).success)
      throw new ApiError(404, "NOT_FOUND", "No such receiver group.");
    return connection(ctx, args, async (page) =>
      (await listCompletions(ctx.service, args.group_id, given(args.filter), page)).map(completionView),
    );
  },
  usage: (_, __, ctx) => {
    allow(ctx, "usage:read");
    return tenantUsage(ctx.c);
  },
  me: (_, __, ctx) => describeCaller(ctx.service.db, ctx.c.get("principal")),
};

const Mutation: Record<string, Resolver> = {
  create_event: async (_, { event }: { event: Args }, ctx) => {
    allow(ctx, "events:write");
    const input = valid(CreateEvent, event);
    const payloadBytes = new TextEncoder().encode(JSON.stringify(input.payload)).length;
    return (await ingest(ctx.c, input, payloadBytes)).id;
  },
  create_event_receiver: async (_, { event_receiver }: { event_receiver: Args }, ctx) => {
    allow(ctx, "receivers:write");
    return (await createReceiver(ctx.service, valid(CreateReceiver, event_receiver))).id;
  },
  create_event_receiver_group: async (_, { event_receiver_group }: { event_receiver_group: Args }, ctx) => {
    allow(ctx, "groups:write");
    return (await createGroup(ctx.service, valid(CreateGroup, event_receiver_group))).id;
  },
  set_event_receiver_group_enabled: (_, { id }: { id: string }, ctx) => setEnabled(ctx, id, true),
  set_event_receiver_group_disabled: (_, { id }: { id: string }, ctx) => setEnabled(ctx, id, false),
};

async function setEnabled(ctx: GraphqlContext, id: string, enabled: boolean): Promise<string> {
  allow(ctx, "groups:write");
  if (!ULID.safeParse(id).success) throw new ApiError(404, "NOT_FOUND", "No such receiver group.");
  return (await updateGroup(ctx.service, id, { enabled })).id;
}

export const resolvers: Record<string, Record<string, Resolver>> = {
  Query,
  Mutation,
  Event: {
    receiver: async (event: ReturnType<typeof eventView>, _, ctx) =>
      receiverView(await ctx.receivers.load(event.event_receiver_id)),
  } as Record<string, Resolver>,
  EventReceiverGroup: {
    receivers: async (group: ReturnType<typeof groupView>, _, ctx) =>
      (await ctx.receivers.loadMany(group.event_receiver_ids)).map((row) => {
        if (row instanceof Error) throw row;
        return receiverView(row);
      }),
  } as Record<string, Resolver>,
};
