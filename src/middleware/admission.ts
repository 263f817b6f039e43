// Admission (API.md "Headers", rate limits): deny lists (403), rate limits (429 RATE_LIMITED),
// the monthly event quota (429 QUOTA_EXCEEDED) and the tenant's in-flight cap (503 OVERLOADED).
// Redis (Upstash) limits when configured and healthy; the TenantGate limits otherwise.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { settingsFor } from "../domain/tenant-settings";
import type { AdmitVerdict, LimitState, RateRule } from "../durable/tenant-gate";
import { gateFor } from "../infra/gate";
import { limitWithRedis } from "../infra/rate-limiter";
import { ApiError } from "../lib/errors";

export type Tier = "anonymous" | "authenticated" | "admin";

export const DEFAULT_LIMITS: Record<Tier, number> = { anonymous: 10, authenticated: 100, admin: 1000 };
const WINDOW_MS = 60_000;

export interface RouteRule {
  /** Requests per minute on this route, instead of the tier's. */
  limit?: number;
  /** Count per client IP (for routes reached before anyone is known). */
  perIp?: boolean;
  /** Units one request uses of the window (writes dearer than reads). */
  cost?: number;
  /** The route creates events: the monthly quota applies. */
  quota?: boolean;
}

export interface RateLimitInfo {
  tier: Tier;
  limit: number;
  remaining: number;
  /** Epoch milliseconds. */
  reset: number;
}

function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

function limitHeaders(state: LimitState): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(state.limit),
    "X-RateLimit-Remaining": String(Math.max(0, state.remaining)),
    "X-RateLimit-Reset": String(Math.ceil(state.reset / 1000)),
  };
}

const secondsUntil = (epochMs: number, now: number) => String(Math.max(1, Math.ceil((epochMs - now) / 1000)));

function refusal(verdict: Exclude<AdmitVerdict, { verdict: "admit" }>, now: number): ApiError {
  const headers = verdict.limit ? limitHeaders(verdict.limit) : {};
  if (verdict.verdict === "rate_limited") {
    return new ApiError(429, "RATE_LIMITED", "Too many requests; retry after the time in Retry-After.", {
      headers: { ...headers, "Retry-After": secondsUntil(verdict.limit.reset, now) },
    });
  }
  if (verdict.verdict === "quota_exceeded") {
    return new ApiError(
      429,
      "QUOTA_EXCEEDED",
      `The monthly event quota of ${verdict.quota.limit} is spent.`,
      {
        headers: { ...headers, "Retry-After": secondsUntil(verdict.quota.periodEnd, now) },
      },
    );
  }
  return new ApiError(503, "OVERLOADED", "Too many requests of this tenant are in flight; retry shortly.", {
    headers: { ...headers, "Retry-After": "1" },
  });
}

export function admission(options: { rules: Record<string, RouteRule>; exempt: (route: string) => boolean }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = c.get("route");
    if (options.exempt(route)) return next();
    const now = Date.now();
    const logger = c.get("logger");
    const principal = c.get("principal");
    const ip = clientIp(c);
    const settings = principal ? await settingsFor(c.get("db"), principal.tenantId, now) : {};

    if (principal && (settings.deny_ips?.includes(ip) || settings.deny_principals?.includes(principal.id))) {
      logger.info("request denied by tenant deny list");
      throw new ApiError(403, "FORBIDDEN", "Requests from this client are blocked for this tenant.");
    }

    const rule = options.rules[`${c.req.method} ${route}`] ?? {};
    const tier: Tier = !principal
      ? "anonymous"
      : principal.roles.some((role) => role === "admin" || role === "platform_admin")
        ? "admin"
        : "authenticated";
    const limit = rule.limit ?? settings.rate_limits?.[tier] ?? DEFAULT_LIMITS[tier];
    const who = principal && !rule.perIp ? `principal:${principal.id}` : `ip:${ip}`;
    const rateRule: RateRule = {
      key: rule.limit ? `${who}:${c.req.method}:${route}` : who,
      limit,
      windowMs: WINDOW_MS,
      cost: rule.cost ?? 1,
    };

    const config = c.get("config");
    const redis = await limitWithRedis(config, rateRule, now);
    if (redis.source === "redis_recovered") logger.warn("rate limiting back on redis");
    if (redis.source === "unavailable" && redis.switched === "opened") {
      logger.warn("rate limiting falls back to the TenantGate: redis circuit opened");
    }
    if (redis.source !== "unavailable") c.executionCtx.waitUntil(redis.pending);

    // Anonymous callers have no tenant: their fallback limiter is a gate of their own per IP.
    const gate = gateFor(config, principal ? principal.tenantId : `anonymous:${ip}`);
    let state = redis.source === "unavailable" ? undefined : redis.state;
    if (state && !state.success) throw refusal({ verdict: "rate_limited", limit: state }, now);
    const quotaLimit = rule.quota ? settings.event_quota_per_month : undefined;
    const verdict =
      principal || !state
        ? await gate.admit({
            now,
            ...(state ? {} : { rateLimit: rateRule }),
            ...(quotaLimit !== undefined ? { quota: { limit: quotaLimit, cost: 1 } } : {}),
            ...(principal ? { maxInFlight: settings.max_in_flight ?? config.MAX_IN_FLIGHT } : {}),
          })
        : undefined;
    if (verdict && verdict.verdict !== "admit") throw refusal(verdict, now);
    state ??= verdict?.limit;
    if (state)
      c.set("rateLimit", { tier, limit: state.limit, remaining: state.remaining, reset: state.reset });

    const admittedToGate = verdict !== undefined && Boolean(principal);
    try {
      await next();
    } finally {
      if (state)
        for (const [name, value] of Object.entries(limitHeaders(state))) c.res.headers.set(name, value);
      if (admittedToGate) {
        const events = rule.quota && c.res.status === 201 ? 1 : 0;
        c.executionCtx.waitUntil(
          gate
            .leave({ events, now: Date.now() })
            .catch((error: unknown) => logger.error("tenant gate leave failed", { error: String(error) })),
        );
      }
    }
  });
}
