// The types every handler and middleware share: runtime bindings and per-request variables.

import type { Database } from "./db/client";
import type { Principal } from "./domain/auth";
import type { Config } from "./env";
import type { MetricsBatch } from "./infra/metrics";
import type { Logger } from "./lib/logger";
import type { TraceContext } from "./lib/trace";
import type { Tracer } from "./lib/tracing";
import type { RateLimitInfo } from "./middleware/admission";

/** What the runtime hands the Worker: plain variables (validated by `src/env.ts`) and, later, bindings. */
export type Bindings = Record<string, unknown>;

export interface Variables {
  config: Config;
  requestId: string;
  trace: TraceContext;
  /** This request's spans (a no-op unless traces are exported and this one is sampled). */
  tracer: Tracer;
  logger: Logger;
  /** The route template that matched (`/api/v1/events/:id`), for logs and metrics. */
  route: string;
  db: Database;
  /** Runs `work` after the response, on this request's database; failures are logged. */
  afterResponse: (name: string, work: () => Promise<unknown>) => void;
  /** This request's metric increments, flushed after the response. */
  metrics: MetricsBatch;
  /** The rate limit that applied to this request (for headers and GET /usage). */
  rateLimit: RateLimitInfo;
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
