// The bench's scenarios (one request shape each, named by its critical path) and the data they
// need, seeded through the API.
import { randomUUID } from "node:crypto";

export interface BenchContext {
  url: string;
  apiKey: string;
  token: string;
  /** A receiver in no group, holding a full page of seeded events. */
  receiverId: string;
  /** A receiver that belongs to a 3-member group. */
  groupedReceiverId: string;
  /** An event seeded for `receiverId`. */
  eventId: string;
  /** Another tenant, with one webhook subscribed to every event (scripts/lib/bench-webhooks.ts). */
  hooked: { token: string; receiverId: string };
}

/** Which Worker a scenario loads: the default (TenantGate limiter), rate limits off, or on Redis. */
export type Target = "main" | "off" | "redis";

export interface ScenarioRequest {
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface Scenario {
  name: string;
  what: string;
  target?: Target;
  /** The status every answer must have; any 2xx when unset. */
  expectStatus?: number;
  /** Headers that must differ on every request (an Idempotency-Key), added as each is sent. */
  perRequest?: () => Record<string, string>;
  request: (context: BenchContext) => ScenarioRequest;
}

/** How many events the list scenario's receiver holds: more than its page of 50. */
export const SEEDED_EVENTS = 60;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Authenticated, then refused by validation (page_size=0): the cost of getting through the gate. */
const refusedAfterAuth = (headers: Record<string, string>) => ({
  path: "/api/v1/api-keys?page_size=0",
  headers,
});

export const scenarios: Scenario[] = [
  {
    name: "noop",
    what: "GET /health/live: the pipeline, no authentication, no round trip (baseline)",
    request: () => ({ path: "/health/live" }),
  },
  {
    name: "auth",
    what: "GET /api/v1/auth/me, Bearer token: verified in the isolate, one TenantGate call + one database round trip (caller and tenant)",
    request: ({ token }) => ({ path: "/api/v1/auth/me", headers: bearer(token) }),
  },
  {
    name: "auth-jwt",
    what: "Bearer token: verify (cached key) + one TenantGate call + permission, refused by validation (400) before any database round trip",
    expectStatus: 400,
    request: ({ token }) => refusedAfterAuth(bearer(token)),
  },
  {
    name: "auth-jwt-nolimit",
    what: "auth-jwt with RATE_LIMITS=off: the same request without the rate-limit step",
    target: "off",
    expectStatus: 400,
    request: ({ token }) => refusedAfterAuth(bearer(token)),
  },
  {
    name: "auth-jwt-redis",
    what: "auth-jwt with the rate limit on Redis (Upstash REST bridge over redis-server) instead of the TenantGate",
    target: "redis",
    expectStatus: 400,
    request: ({ token }) => refusedAfterAuth(bearer(token)),
  },
  {
    name: "auth-api-key",
    what: "X-API-Key (isolate cache hit) + one TenantGate call + permission, refused by validation as above",
    expectStatus: 400,
    request: ({ apiKey }) => refusedAfterAuth({ "x-api-key": apiKey }),
  },
  {
    name: "read",
    what: "GET /api/v1/events/{id} of a seeded event: one TenantGate call + one database round trip",
    request: ({ token, eventId }) => ({ path: `/api/v1/events/${eventId}`, headers: bearer(token) }),
  },
  {
    name: "list",
    what: `GET /api/v1/events?event_receiver_id=…&page_size=50, a full page (${SEEDED_EVENTS} seeded): one TenantGate call + one database round trip`,
    request: ({ token, receiverId }) => ({
      path: `/api/v1/events?event_receiver_id=${receiverId}&page_size=50`,
      headers: bearer(token),
    }),
  },
  {
    name: "ingest",
    what: "POST /api/v1/events: schema validation, event + outbox row in one database round trip + one TenantGate call (receiver in no group)",
    request: ({ token, receiverId }) => eventRequest(token, receiverId),
  },
  {
    name: "ingest-group",
    what: "POST /api/v1/events for a receiver in a 3-member group: completion decided in the same database round trip + one TenantGate call",
    request: ({ token, groupedReceiverId }) => eventRequest(token, groupedReceiverId),
  },
  {
    name: "ingest-webhook",
    what: "ingest for a tenant with one webhook subscribed to every event: the delivery queued by the outbox trigger in the same round trip, sent after the response",
    request: ({ hooked }) => eventRequest(hooked.token, hooked.receiverId),
  },
  {
    name: "ingest-idem",
    what: "ingest with a new Idempotency-Key per request: claim the key, then event + outbox + stored response: two database round trips + one TenantGate call",
    perRequest: () => ({ "idempotency-key": randomUUID() }),
    request: ({ token, receiverId }) => eventRequest(token, receiverId),
  },
];

function eventBody(receiverId: string) {
  return {
    name: "bench",
    version: "1.0.0",
    release: "1",
    platform_id: "linux-amd64",
    package: "rpm",
    payload: { size: 42, tag: "bench" },
    success: true,
    event_receiver_id: receiverId,
  };
}

function eventRequest(token: string, receiverId: string): ScenarioRequest {
  return {
    path: "/api/v1/events",
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: JSON.stringify(eventBody(receiverId)),
  };
}

/**
 * A receiver with SEEDED_EVENTS events, and one that belongs to a 3-member group, made through the
 * API with the admin API key.
 */
export async function seed(url: string, apiKey: string) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: { id: string } }).data.id;
  };
  const schema = {
    type: "object",
    properties: { size: { type: "integer" }, tag: { type: "string" } },
    required: ["size"],
  };
  const receiver = (name: string) => post("/api/v1/receivers", { name, type: "bench", version: "1", schema });
  const receiverId = await receiver("plain");
  const members = [await receiver("member-1"), await receiver("member-2"), await receiver("member-3")];
  await post("/api/v1/groups", { name: "bench", type: "release", version: "1", event_receiver_ids: members });
  // A few at a time: quick even when XZEPR_DB_RTT_MS puts the database far away.
  const eventIds: string[] = [];
  for (let made = 0; made < SEEDED_EVENTS; made += 6) {
    const batch = Array.from({ length: Math.min(6, SEEDED_EVENTS - made) }, () =>
      post("/api/v1/events", eventBody(receiverId)),
    );
    eventIds.push(...(await Promise.all(batch)));
  }
  return { receiverId, groupedReceiverId: members[0] as string, eventId: eventIds[0] as string };
}
