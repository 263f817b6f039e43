// The TenantGate's RPC contract: what the Worker asks a tenant's gate and what it answers. The
// Durable Object implements it (src/durable/tenant-gate.ts); the Worker knows only this.

export interface RedisTarget {
  url: string;
  token: string;
  /** A call without an answer by then is a failure. */
  timeoutMs: number;
  /** How long the breaker stays open before one call tries Redis again. */
  breakerOpenMs: number;
}

export type SubjectKind = "tenant" | "principal" | "api_key";
export type RevocationKind = "jti" | "family";

export interface SubjectStatus {
  kind: SubjectKind;
  id: string;
  active: boolean;
  /** Epoch seconds after which the subject is refused (API key expiry). */
  expiresAt?: number | null;
}

export interface AccessQuery {
  /** Subjects whose status must be active: always the tenant, plus the principal or API key. */
  subjects: { kind: SubjectKind; id: string }[];
  jti?: string;
  family?: string;
  /** Epoch seconds, the caller's clock. */
  now: number;
}

export type AccessVerdict =
  | { verdict: "allow" }
  | { verdict: "deny"; reason: string }
  | { verdict: "unknown"; subjects: { kind: SubjectKind; id: string }[] };

export interface RateRule {
  /** Who is limited: `principal:<id>` or `ip:<address>`, plus the route when it has its own rule. */
  key: string;
  limit: number;
  windowMs: number;
  cost: number;
}

export interface LimitState {
  success: boolean;
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the current window ends. */
  reset: number;
}

export interface AdmitRequest {
  /** Epoch milliseconds. */
  now: number;
  rateLimit?: RateRule;
  /** Count `rateLimit` in Redis; this object's own windows count only while Redis fails. */
  redis?: RedisTarget;
  /** Refuse when `cost` more events would pass the month's limit. */
  quota?: { limit: number; cost: number };
  maxInFlight?: number;
}

/** Who counted the rate limit, and whether this request moved the counting off or back onto Redis. */
export interface RateLimiterReport {
  source: "redis" | "gate";
  switched?: "gate" | "redis";
}

export type AdmitVerdict = (
  | { verdict: "admit"; inFlight: number; limit?: LimitState }
  | { verdict: "rate_limited"; limit: LimitState }
  | {
      verdict: "quota_exceeded";
      quota: { used: number; limit: number; periodEnd: number };
      limit?: LimitState;
    }
  | { verdict: "overloaded"; inFlight: number; limit?: LimitState }
) & { rateLimiter?: RateLimiterReport };

/** The end of admitted requests: their slots (one unless `released` says more) and events. */
export interface LeaveOutcome {
  events: number;
  now: number;
  tenantId: string;
  released?: number;
}

/** The one call of an authenticated request: the subject's status, then its admission. */
export interface PassRequest {
  access: AccessQuery;
  /** Statuses loaded from the database after an `unknown` verdict, learnt before the check. */
  learn?: SubjectStatus[];
  /** Absent when the request is refused anyway (its role lacks the route's permission). */
  admit?: AdmitRequest;
}

export type PassVerdict = Exclude<AccessVerdict, { verdict: "allow" }> | { verdict: "allow" } | AdmitVerdict;

/** The methods the Worker calls on a tenant's gate (the Durable Object's RPC surface). */
export interface TenantGateRpc extends Rpc.DurableObjectBranded {
  pass(request: PassRequest): Promise<PassVerdict>;
  admit(request: AdmitRequest): Promise<AdmitVerdict>;
  leave(outcome: LeaveOutcome): Promise<void>;
  usage(now: number): { used: number; periodEnd: number; inFlight: number };
  /** Authoritative writes (an admin changed the subject): they replace what is known. */
  setSubjects(statuses: SubjectStatus[]): void;
  /** Revokes token ids or refresh families until `expiresAt` (epoch seconds). */
  revoke(entries: { kind: RevocationKind; id: string; expiresAt: number }[]): Promise<void>;
  /** Readiness: a round trip that touches storage. */
  ping(): number;
}
