// The types every handler and middleware share: runtime bindings and per-request variables.

import type { Bindings } from "./contracts/bindings";
import type { RateLimitInfo } from "./contracts/request";
import type { Database, RunTransaction } from "./db/client";
import type { Principal } from "./domain/auth";
import type { ClaimedKey } from "./domain/idempotency";
import type { AfterResponse, Clock, GateDirectory, Publisher } from "./domain/ports";
import type { Config } from "./env";
import type { MetricsBatch } from "./infra/metrics";
import type { Logger } from "./lib/logger";
import type { RoundTrips } from "./lib/round-trips";
import type { TraceContext } from "./lib/trace";
import type { Tracer } from "./lib/tracing";

export interface Variables {
  config: Config;
  requestId: string;
  trace: TraceContext;
  /** This request's spans (a no-op unless traces are exported and this one is sampled). */
  tracer: Tracer;
  logger: Logger;
  /** The route template that matched (`/api/v1/events/:id`), for logs and metrics. */
  route: string;
  /** Queries and batches over Neon's HTTP endpoint: one round trip each. */
  db: Database;
  /** An interactive transaction (a WebSocket session): admin paths only. */
  transaction: RunTransaction;
  /** The tenants' gates (each call a counted round trip). */
  gates: GateDirectory;
  /** Work started once the response exists (src/middleware/after-response.ts). */
  after: AfterResponse;
  publisher: Publisher;
  /** The time services and admission read (the machine's; a unit test's own). */
  clock: Clock;
  /** Database and gate round trips so far: the critical path's, when the response is made. */
  roundTrips: RoundTrips;
  /** The Idempotency-Key this request claimed, if any (the handler may store its response). */
  idempotencyKey: ClaimedKey | undefined;
  /** This request's metric increments, flushed after the response. */
  metrics: MetricsBatch;
  /** The rate limit that applied to this request (for headers and GET /usage). */
  rateLimit: RateLimitInfo;
  /** Events this request created (they count against the tenant's monthly quota). */
  eventsCreated: number | undefined;
  /** A page's own Content-Security-Policy instead of the API's (GraphiQL). */
  pagePolicy: string | undefined;
  /** The authenticated caller; absent on public routes. */
  principal: Principal;
  /** Set by authentication; null in logs until then. */
  tenantId: string | undefined;
  principalId: string | undefined;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
