// GraphQL (API.md "GraphQL"; src/routes/graphql): EPR's queries and mutations with the bodies EPR's
// client sends, the connections, tenant isolation, permissions, the guards, batch loading, the
// GraphQL over HTTP conformance audit, and the schema file.
import {
  buildClientSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  parse,
  printSchema,
} from "graphql";
import { serverAudits } from "graphql-http";
import { Hono } from "hono";
import { ulid } from "ulidx";
import { beforeAll, describe, expect, it } from "vitest";
import checkedIn from "../../schema.graphql?raw";
import { createApp } from "../../src/app";
import type { AppEnv } from "../../src/context";
import { events } from "../../src/db/schema";
import type { Config } from "../../src/env";
import { graphiqlServed } from "../../src/routes/graphql/graphiql";
import { executableSchema } from "../../src/routes/graphql/schema/build";
import { checkDocument, introspectionAllowed } from "../../src/routes/graphql/schema/guards";
import { createReceiver, createTenant, json, type TenantFixture, UNLIMITED, withDb } from "../fixtures";
import { BASE, call, callApp, send } from "../helpers";

interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string; request_id?: string; details?: { path: string; message: string }[] };
}
interface GraphqlBody<T = Record<string, unknown>> {
  data?: T | null;
  errors?: GraphqlError[];
}

const PATH = "/api/v1/graphql";

/** POST a document as EPR's client does (`{query, variables}`), to EPR's path unless told. */
async function gql<T = Record<string, unknown>>(
  headers: Record<string, string>,
  query: string,
  variables?: Record<string, unknown>,
  options: { path?: string; accept?: string } = {},
) {
  const response = await call(
    options.path ?? "/api/v1/graphql/query",
    json(
      { query, ...(variables ? { variables } : {}) },
      { ...headers, ...(options.accept ? { accept: options.accept } : {}) },
    ),
  );
  return { response, body: (await response.json()) as GraphqlBody<T> };
}

/** Database statements the request made (Server-Timing `db;count=…`). */
function databaseStatements(response: Response): number {
  const match = /(?:^|,)\s*db;count=(\d+)/.exec(response.headers.get("server-timing") ?? "");
  if (!match) throw new Error("no db count in Server-Timing");
  return Number(match[1]);
}

/** The errors' codes; each error carries the response's request id. */
function codes(response: Response, body: GraphqlBody): string[] {
  for (const error of body.errors ?? [])
    expect(error.extensions.request_id).toBe(response.headers.get("x-request-id"));
  return (body.errors ?? []).map((error) => error.extensions.code);
}

const FIND_EVENTS = "query ($obj: FindEventInput!){events(event: $obj) {id,name,version}}";
const CREATE_EVENT = "mutation ($obj: CreateEventInput!){create_event(event: $obj)}";
const CREATE_RECEIVER =
  "mutation ($obj: CreateEventReceiverInput!){create_event_receiver(event_receiver: $obj)}";
const CREATE_GROUP =
  "mutation ($obj: CreateEventReceiverGroupInput!){create_event_receiver_group(event_receiver_group: $obj)}";

function eventInput(receiverId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: "foo",
    version: "1.4.2",
    release: "2026.11",
    platform_id: "linux-amd64",
    package: "rpm",
    description: "integration tests",
    payload: '{"size":3}',
    event_receiver_id: receiverId,
    success: true,
    ...overrides,
  };
}

let tenant: TenantFixture;
let other: TenantFixture;
let receiverId: string;

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTenant(), createTenant()]);
  receiverId = (await createReceiver(tenant)).id;
});

describe("execute: EPR's queries and mutations, as EPR's client sends them", () => {
  it("creates a receiver, a group and an event, and reads them back through REST and GraphQL", async () => {
    const name = `epr-${crypto.randomUUID()}`;
    const receiver = await gql<{ create_event_receiver: string }>(tenant.writer.headers, CREATE_RECEIVER, {
      obj: {
        name,
        type: "foobar.test",
        version: "1.0.0",
        description: "foobar is the description",
        schema: '{"type":"object","properties":{"size":{"type":"integer"}},"required":["size"]}',
      },
    });
    expect(receiver.response.status).toBe(200);
    expect(receiver.body.errors).toBeUndefined();
    const created = receiver.body.data?.create_event_receiver as string;
    const rest = await call(`/api/v1/receivers/${created}`, { headers: tenant.reader.headers });
    expect(((await rest.json()) as { data: { schema: unknown } }).data.schema).toEqual({
      type: "object",
      properties: { size: { type: "integer" } },
      required: ["size"],
    });

    const group = await gql<{ create_event_receiver_group: string }>(tenant.writer.headers, CREATE_GROUP, {
      obj: {
        name,
        type: "release",
        version: "1",
        description: "",
        enabled: true,
        event_receiver_ids: [created],
      },
    });
    const groupId = group.body.data?.create_event_receiver_group as string;
    expect(groupId).toMatch(/^[0-9A-Z]{26}$/);

    const event = await gql<{ create_event: string }>(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput(created, { name }),
    });
    expect(event.body.errors).toBeUndefined();
    const eventId = event.body.data?.create_event as string;
    const stored = await call(`/api/v1/events/${eventId}`, { headers: tenant.reader.headers });
    expect(((await stored.json()) as { data: { payload: unknown; request_id: string } }).data).toMatchObject({
      payload: { size: 3 },
      request_id: event.response.headers.get("x-request-id"),
    });

    // The one-member group completed with that event: the same completion rule as REST.
    const completions = await gql<{ completionsConnection: { edges: { node: { event_ids: string[] } }[] } }>(
      tenant.reader.headers,
      "query ($g: ID!){completionsConnection(group_id: $g) {edges {node {event_ids}}}}",
      { g: groupId },
    );
    expect(completions.body.data?.completionsConnection.edges.map((edge) => edge.node.event_ids)).toEqual([
      [eventId],
    ]);

    const found = await gql<{ events: { id: string; name: string; version: string }[] }>(
      tenant.reader.headers,
      FIND_EVENTS,
      { obj: { name, version: "1.4.2" } },
    );
    expect(found.body.data?.events).toEqual([{ id: eventId, name, version: "1.4.2" }]);

    const byId = await gql(
      tenant.reader.headers,
      `query ($e: ID!, $r: ID!, $g: ID!){
        events_by_id(id: $e) {id payload success created_at event_receiver_id}
        event_receivers_by_id(id: $r) {id name type version description schema fingerprint created_at}
        event_receiver_groups_by_id(id: $g) {id enabled event_receiver_ids created_at updated_at receivers {id name}}
      }`,
      { e: eventId, r: created, g: groupId },
    );
    expect(byId.body.errors).toBeUndefined();
    expect(byId.body.data).toMatchObject({
      events_by_id: [{ id: eventId, payload: { size: 3 }, success: true, event_receiver_id: created }],
      event_receivers_by_id: [{ id: created, name, type: "foobar.test", version: "1.0.0" }],
      event_receiver_groups_by_id: [
        { id: groupId, enabled: true, event_receiver_ids: [created], receivers: [{ id: created, name }] },
      ],
    });
    const times = byId.body.data as { events_by_id: { created_at: string }[] };
    expect(times.events_by_id[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // EPR's client's search template, for receivers and groups.
    const receivers = await gql(
      tenant.reader.headers,
      "query ($obj: FindEventReceiverInput!){event_receivers(event_receiver: $obj) {id,name,type,version,description}}",
      { obj: { name, type: "foobar.test", version: "1.0.0" } },
    );
    expect(receivers.body.data).toEqual({
      event_receivers: [
        {
          id: created,
          name,
          type: "foobar.test",
          version: "1.0.0",
          description: "foobar is the description",
        },
      ],
    });
    const groups = await gql(
      tenant.reader.headers,
      "query ($obj: FindEventReceiverGroupInput!){event_receiver_groups(event_receiver_group: $obj) {id,name,type,version,description}}",
      { obj: { name, version: "1" } },
    );
    expect(groups.body.data).toEqual({
      event_receiver_groups: [{ id: groupId, name, type: "release", version: "1", description: "" }],
    });
  });

  it("enables and disables a group, audited as a REST update", async () => {
    const group = await gql<{ create_event_receiver_group: string }>(tenant.writer.headers, CREATE_GROUP, {
      obj: {
        name: `toggle-${crypto.randomUUID()}`,
        type: "release",
        version: "1",
        description: "",
        enabled: true,
        event_receiver_ids: [receiverId],
      },
    });
    const id = group.body.data?.create_event_receiver_group as string;
    const disable = await gql(
      tenant.writer.headers,
      "mutation ($id: ID!){set_event_receiver_group_disabled(id: $id)}",
      {
        id,
      },
    );
    expect(disable.body.data).toEqual({ set_event_receiver_group_disabled: id });
    const rest = await call(`/api/v1/groups/${id}`, { headers: tenant.reader.headers });
    expect(((await rest.json()) as { data: { enabled: boolean } }).data.enabled).toBe(false);
    await gql(tenant.writer.headers, "mutation ($id: ID!){set_event_receiver_group_enabled(id: $id)}", {
      id,
    });
    const audit = await call(`/api/v1/admin/audit?resource_id=${id}`, { headers: tenant.admin.headers });
    const actions = ((await audit.json()) as { data: { action: string; outcome: string }[] }).data.map(
      (entry) => entry.action,
    );
    expect(actions.sort()).toEqual(["group.create", "group.update", "group.update"]);
  });

  it("reads a JSON input given as a value or as JSON text, and refuses text that is not JSON", async () => {
    const asValue = await gql(
      tenant.writer.headers,
      `mutation { create_event(event: {name: "lit", version: "1", release: "1", platform_id: "p", package: "rpm",
        description: "", payload: {size: 4, tags: ["a"]}, event_receiver_id: "${receiverId}", success: true}) }`,
    );
    expect(asValue.body.errors).toBeUndefined();
    const notJson = await gql(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput(receiverId, { payload: "{size" }),
    });
    expect(codes(notJson.response, notJson.body)).toEqual(["VALIDATION_FAILED"]);
    const proto = await gql(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput(receiverId, { payload: '{"size":1,"__proto__":{"x":1}}' }),
    });
    expect(codes(proto.response, proto.body)).toEqual(["VALIDATION_FAILED"]);
  });

  it("validates as REST does: the payload against the receiver's schema, field lengths, unknown receivers", async () => {
    const invalid = await gql(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput(receiverId, { payload: '{"size":"big"}' }),
    });
    expect(codes(invalid.response, invalid.body)).toEqual(["VALIDATION_FAILED"]);
    expect(invalid.body.errors?.[0]?.extensions.details?.length).toBeGreaterThan(0);
    const long = await gql(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput(receiverId, { name: "n".repeat(256) }),
    });
    expect(long.body.errors?.[0]?.extensions.details?.[0]?.path).toBe("name");
    const unknown = await gql(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput("01J00000000000000000000000"),
    });
    expect(codes(unknown.response, unknown.body)).toEqual(["NOT_FOUND"]);
    const nul = await gql(tenant.reader.headers, 'query { events(event: {name: "a\\u0000b"}) {id} }');
    expect(codes(nul.response, nul.body)).toEqual(["VALIDATION_FAILED"]);
  });
});

describe("execute: connections", () => {
  it("pages through events with the REST filters and cursors", async () => {
    const release = `page-${crypto.randomUUID()}`;
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const created = await gql<{ create_event: string }>(tenant.writer.headers, CREATE_EVENT, {
        obj: eventInput(receiverId, { release }),
      });
      ids.push(created.body.data?.create_event as string);
    }
    const page = (after?: string) =>
      gql<{
        eventsConnection: {
          edges: { cursor: string; node: { id: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      }>(
        tenant.reader.headers,
        "query ($f: EventFilter, $after: String){eventsConnection(filter: $f, first: 2, after: $after) {edges {cursor node {id}} pageInfo {hasNextPage endCursor}}}",
        { f: { release }, after },
      );
    const seen: string[] = [];
    let after: string | undefined;
    for (const expected of [true, true, false]) {
      const { body } = await page(after);
      const connection = body.data?.eventsConnection;
      expect(connection?.pageInfo.hasNextPage).toBe(expected);
      seen.push(...(connection?.edges.map((edge) => edge.node.id) ?? []));
      after = connection?.pageInfo.endCursor ?? undefined;
    }
    expect(seen).toEqual([...ids].reverse());

    const tampered = await page(`${after}x`);
    expect(codes(tampered.response, tampered.body)).toEqual(["BAD_REQUEST"]);
    const tooMany = await gql(
      tenant.reader.headers,
      "{ eventsConnection(first: 201) { pageInfo { hasNextPage } } }",
    );
    expect(codes(tooMany.response, tooMany.body)).toContain("VALIDATION_FAILED");
  });

  it("pages through receivers and groups, and reads usage and the caller", async () => {
    const { body } = await gql<{
      receiversConnection: { edges: unknown[] };
      groupsConnection: { pageInfo: { hasNextPage: boolean } };
      usage: { in_flight: number; quota: { used: number } };
      me: { tenant: { id: string }; auth: string; permissions: string[] };
    }>(
      tenant.reader.headers,
      "{ receiversConnection(first: 1) { edges { node { id } } } groupsConnection { pageInfo { hasNextPage } } usage { in_flight quota { used limit period_end } rate_limit { tier limit } } me { tenant { id slug } auth permissions principal { id roles } } }",
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.receiversConnection.edges).toHaveLength(1);
    expect(body.data?.me).toMatchObject({ tenant: { id: tenant.id }, auth: "jwt" });
    expect(body.data?.me.permissions).not.toContain("events:write");
    expect(body.data?.usage.in_flight).toBeGreaterThanOrEqual(1);
  });
});

describe("execute: tenants and permissions", () => {
  it("resolves another tenant's ids to nothing and refuses writes to them", async () => {
    const group = await gql<{ create_event_receiver_group: string }>(tenant.writer.headers, CREATE_GROUP, {
      obj: {
        name: `iso-${crypto.randomUUID()}`,
        type: "t",
        version: "1",
        description: "",
        enabled: true,
        event_receiver_ids: [receiverId],
      },
    });
    const groupId = group.body.data?.create_event_receiver_group as string;
    const event = await gql<{ create_event: string }>(tenant.writer.headers, CREATE_EVENT, {
      obj: eventInput(receiverId),
    });
    const eventId = event.body.data?.create_event as string;
    const seen = await gql(
      other.admin.headers,
      `query ($e: ID!, $r: ID!, $g: ID!){ events_by_id(id: $e) {id} event_receivers_by_id(id: $r) {id}
        event_receiver_groups_by_id(id: $g) {id} events(event: {id: $e}) {id} }`,
      { e: eventId, r: receiverId, g: groupId },
    );
    expect(seen.body).toEqual({
      data: { events_by_id: [], event_receivers_by_id: [], event_receiver_groups_by_id: [], events: [] },
    });
    const write = await gql(other.admin.headers, CREATE_EVENT, { obj: eventInput(receiverId) });
    expect(codes(write.response, write.body)).toEqual(["NOT_FOUND"]);
    const toggle = await gql(
      other.admin.headers,
      "mutation ($id: ID!){set_event_receiver_group_disabled(id: $id)}",
      {
        id: groupId,
      },
    );
    expect(codes(toggle.response, toggle.body)).toEqual(["NOT_FOUND"]);
    const groups = await gql(
      other.admin.headers,
      "query ($g: ID!){completionsConnection(group_id: $g) {edges {cursor}}}",
      {
        g: groupId,
      },
    );
    expect(codes(groups.response, groups.body)).toEqual(["NOT_FOUND"]);
  });

  it("refuses a reader's mutations (FORBIDDEN, audited) and creates nothing", async () => {
    const name = `reader-${crypto.randomUUID()}`;
    const refused = await gql(tenant.reader.headers, CREATE_EVENT, { obj: eventInput(receiverId, { name }) });
    expect(codes(refused.response, refused.body)).toEqual(["FORBIDDEN"]);
    expect(refused.body.data).toBeNull();
    const found = await gql<{ events: unknown[] }>(tenant.reader.headers, FIND_EVENTS, { obj: { name } });
    expect(found.body.data?.events).toEqual([]);
  });

  it("answers the pipeline's refusals as GraphQL errors with the request id", async () => {
    const anonymous = await gql({}, "{ me { auth } }");
    expect(anonymous.response.status).toBe(401);
    expect(codes(anonymous.response, anonymous.body)).toEqual(["UNAUTHENTICATED"]);
    const limited = await createTenant({ settings: { rate_limits: { authenticated: 2 } } });
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      // Three root fields, one request: it counts once.
      const { response, body } = await gql(
        limited.reader.headers,
        "{ a: me { auth } b: me { auth } c: usage { in_flight } }",
      );
      statuses.push(response.status);
      if (response.status === 429) expect(codes(response, body)).toEqual(["RATE_LIMITED"]);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("counts created events against the monthly quota", async () => {
    const quota = await createTenant({ settings: { ...UNLIMITED, event_quota_per_month: 2 } });
    const receiver = (await createReceiver(quota)).id;
    const two = await gql(
      quota.writer.headers,
      `mutation ($a: CreateEventInput!, $b: CreateEventInput!){ a: create_event(event: $a) b: create_event(event: $b) }`,
      { a: eventInput(receiver), b: eventInput(receiver) },
    );
    expect(two.body.errors).toBeUndefined();
    const third = await gql(quota.writer.headers, CREATE_EVENT, { obj: eventInput(receiver) });
    expect(third.response.status).toBe(429);
    expect(codes(third.response, third.body)).toEqual(["QUOTA_EXCEEDED"]);
    // Queries are not events: the spent quota does not refuse them.
    expect((await gql(quota.reader.headers, "{ me { auth } }")).response.status).toBe(200);
  });
});

describe("execute: guards refuse documents before execution", () => {
  const app = createApp();
  const bindings = { METRICS_NAMESPACE: `test-${crypto.randomUUID()}`, METRICS_TOKEN: "g".repeat(40) };
  const post = (body: unknown) => callApp(app, PATH, json(body, tenant.writer.headers), bindings);
  const ofType = (levels: number): string => (levels === 0 ? "name" : `ofType { ${ofType(levels - 1)} }`);
  const creates = (count: number) =>
    `mutation ($e: CreateEventInput!) { ${Array.from({ length: count }, (_, i) => `e${i}: create_event(event: $e)`).join(" ")} }`;
  const attacks: { name: string; code: string; rule: string; body: unknown; status?: number }[] = [
    // The schema's own types nest 5 deep at most; introspection's `ofType` nests as deep as asked.
    {
      name: "deep",
      code: "DEPTH_LIMIT_EXCEEDED",
      rule: "depth",
      body: { query: `{ __type(name: "Event") { fields { type { ${ofType(8)} } } } }` },
    },
    {
      name: "wide",
      code: "COST_LIMIT_EXCEEDED",
      rule: "cost",
      body: {
        query: `{ ${Array.from({ length: 6 }, (_, i) => `l${i}: events(event: {}) { id }`).join(" ")} }`,
      },
    },
    {
      name: "wide through a connection",
      code: "COST_LIMIT_EXCEEDED",
      rule: "cost",
      body: { query: "{ groupsConnection(first: 100) { edges { node { receivers { id } } } } }" },
    },
    {
      name: "aliased",
      code: "ALIAS_LIMIT_EXCEEDED",
      rule: "aliases",
      body: {
        query: creates(31),
        variables: { e: eventInput("01J00000000000000000000000", { name: "alias-attack" }) },
      },
    },
    {
      name: "long",
      code: "TOKEN_LIMIT_EXCEEDED",
      rule: "tokens",
      body: { query: `{ me { ${"auth ".repeat(2001)} } }` },
    },
    {
      name: "directives",
      code: "DIRECTIVE_LIMIT_EXCEEDED",
      rule: "directives",
      body: {
        query: `{ me { ${Array.from({ length: 21 }, (_, i) => `a${i}: auth @include(if: true)`).join(" ")} } }`,
      },
    },
    {
      name: "cyclic fragments",
      code: "GRAPHQL_VALIDATION_FAILED",
      rule: "",
      body: { query: "{ me { ...A } } fragment A on Me { tenant { id } ...B } fragment B on Me { ...A }" },
    },
    {
      name: "batched",
      code: "BATCH_NOT_SUPPORTED",
      rule: "batch",
      status: 400,
      body: [{ query: "{ me { auth } }" }, { query: "{ usage { in_flight } }" }],
    },
  ];

  it.each(attacks)("$name: $code, nothing executed", async ({ code, body, status }) => {
    const response = await post(body);
    expect(response.status).toBe(status ?? 200);
    const answer = (await response.json()) as GraphqlBody;
    expect(answer.data).toBeUndefined();
    expect(codes(response, answer)).toEqual([code]);
  });

  it("creates none of a refused mutation's events, and counts each refusal by guard", async () => {
    const found = await gql<{ events: unknown[] }>(tenant.reader.headers, FIND_EVENTS, {
      obj: { name: "alias-attack" },
    });
    expect(found.body.data?.events).toEqual([]);
    const response = await callApp(
      app,
      "/metrics",
      { headers: { authorization: `Bearer ${bindings.METRICS_TOKEN}` } },
      bindings,
    );
    const text = await response.text();
    for (const { rule } of attacks.filter((attack) => attack.rule !== "")) {
      const expected = attacks.filter((attack) => attack.rule === rule).length;
      expect(text).toContain(`xzepr_graphql_complexity_violations_total{rule="${rule}"} ${expected}`);
    }
  });

  it("lets EPR's widest list and the usual introspection query through", async () => {
    const { body } = await gql(
      tenant.reader.headers,
      "query ($obj: FindEventInput!){events(event: $obj) {id,name,version,release,platform_id,package,description,payload,success,event_receiver_id,created_at}}",
      { obj: {} },
    );
    expect(body.errors).toBeUndefined();
    const introspection = await gql<IntrospectionQuery>(
      tenant.reader.headers,
      getIntrospectionQuery({ descriptions: true }),
    );
    expect(introspection.body.errors).toBeUndefined();
  });
});

describe("execute: batch loading", () => {
  it("reads a page of 100 events and their receivers in two statements", async () => {
    const receivers = await Promise.all([
      createReceiver(tenant),
      createReceiver(tenant),
      createReceiver(tenant),
    ]);
    const release = `n1-${crypto.randomUUID()}`;
    const rows = Array.from({ length: 100 }, (_, index) => ({
      id: ulid(),
      tenantId: tenant.id,
      eventReceiverId: (receivers[index % 3] as { id: string }).id,
      name: "n1",
      version: "1",
      release,
      platformId: "p",
      package: "rpm",
      payload: { size: index },
      success: true,
      createdBy: tenant.writer.id,
      requestId: "n1",
    }));
    await withDb((db) => db.insert(events).values(rows));
    const page = (fields: string) =>
      gql<{ eventsConnection: { edges: { node: { receiver?: { id: string } } }[] } }>(
        tenant.reader.headers,
        `query ($f: EventFilter) { eventsConnection(filter: $f, first: 100) { edges { node { id ${fields} } } } }`,
        { f: { release } },
      );
    const plain = await page("");
    expect(plain.body.data?.eventsConnection.edges).toHaveLength(100);
    expect(databaseStatements(plain.response)).toBe(1);
    const joined = await page("receiver { id name }");
    const edges = joined.body.data?.eventsConnection.edges ?? [];
    expect(new Set(edges.map((edge) => edge.node.receiver?.id))).toEqual(new Set(receivers.map((r) => r.id)));
    expect(databaseStatements(joined.response)).toBe(2);
    const epr = await gql(
      tenant.reader.headers,
      "query ($o: FindEventInput!) { events(event: $o) { id receiver { id } } }",
      {
        o: { release },
      },
    );
    expect(databaseStatements(epr.response)).toBe(2);
  });
});

describe("execute: GraphQL over HTTP", () => {
  it("passes every MUST of graphql-http's server audit", async () => {
    const audits = serverAudits({
      url: `${BASE}${PATH}`,
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        for (const [name, value] of Object.entries(tenant.reader.headers)) headers.set(name, value);
        return send(new Request(input, { ...init, headers }));
      },
    });
    const results = await Promise.all(audits.map((audit) => audit.fn()));
    const failed = results.flatMap((result) =>
      result.status === "error" ? [`${result.name}: ${result.reason}`] : [],
    );
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(30);
  });

  it("answers queries over GET, refuses mutations over GET with 405, and negotiates the media type", async () => {
    const query = encodeURIComponent("{ me { auth } }");
    const get = await call(`${PATH}?query=${query}`, {
      headers: { ...tenant.reader.headers, accept: "application/graphql-response+json" },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toContain("application/graphql-response+json");
    const mutation = encodeURIComponent(`mutation { set_event_receiver_group_enabled(id: "${receiverId}") }`);
    const refused = await call(`${PATH}?query=${mutation}`, { headers: tenant.writer.headers });
    expect(refused.status).toBe(405);
    const plain = await gql(tenant.reader.headers, "{ me { auth } }", undefined, { path: PATH });
    expect(plain.response.headers.get("content-type")).toContain("application/json");
    const parse = await gql(tenant.reader.headers, "{", undefined, {
      accept: "application/graphql-response+json",
    });
    expect(parse.response.status).toBe(400);
    expect(codes(parse.response, parse.body)).toEqual(["GRAPHQL_PARSE_FAILED"]);
  });

  it("serves the schema of schema.graphql", async () => {
    const { body } = await gql<IntrospectionQuery>(
      tenant.reader.headers,
      getIntrospectionQuery({ descriptions: true }),
    );
    expect(`${printSchema(buildClientSchema(body.data as IntrospectionQuery))}\n`).toBe(checkedIn);
  });
});

describe("execute: introspection", () => {
  const schema = executableSchema();
  const introspect = (allowed: boolean) =>
    checkDocument(schema, parse("{ __schema { types { name } } }"), {
      variables: {},
      operationName: undefined,
      introspection: allowed,
    }).errors.map((error) => error.extensions.code);

  it("is off in production unless GRAPHQL_INTROSPECTION=on, and on elsewhere", () => {
    expect(introspectionAllowed({ ENVIRONMENT: "production", GRAPHQL_INTROSPECTION: "off" })).toBe(false);
    expect(introspectionAllowed({ ENVIRONMENT: "production", GRAPHQL_INTROSPECTION: "on" })).toBe(true);
    expect(introspectionAllowed({ ENVIRONMENT: "development", GRAPHQL_INTROSPECTION: "off" })).toBe(true);
    expect(new Set(introspect(false))).toEqual(new Set(["GRAPHQL_VALIDATION_FAILED"]));
    expect(introspect(true)).toEqual([]);
  });
});

describe("graphiql: GET /api/v1/graphql from a browser, outside production", () => {
  it("serves GraphiQL without credentials, its scripts pinned by integrity and its CSP by hash", async () => {
    const page = await call(PATH, { headers: { accept: "text/html,application/xhtml+xml" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('integrity="sha384-');
    const policy = page.headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/script-src https:\/\/unpkg\.com 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(policy).not.toContain("script-src 'unsafe-inline'");
    // With a query it is GraphQL again, and credentials are needed.
    const query = await call(`${PATH}?query=${encodeURIComponent("{ me { auth } }")}`, {
      headers: { accept: "text/html" },
    });
    expect(query.status).toBe(401);
  });

  it("is not served in production", async () => {
    const served = (environment: string) => {
      const app = new Hono<AppEnv>();
      app.use(async (c, next) => {
        c.set("config", { ENVIRONMENT: environment } as Config);
        await next();
      });
      app.get("*", (c) => c.text(String(graphiqlServed(c))));
      return Promise.resolve(app.request(PATH, { headers: { accept: "text/html" } })).then((response) =>
        response.text(),
      );
    };
    expect(await served("development")).toBe("true");
    expect(await served("production")).toBe("false");
  });
});
