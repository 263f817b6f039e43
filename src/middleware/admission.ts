// Admission (API.md "Headers", rate limits): the subject's status (401), permission and deny lists
// (403), rate limits (429 RATE_LIMITED), the monthly event quota (429 QUOTA_EXCEEDED) and the
// tenant's in-flight cap (503 OVERLOADED). The TenantGate decides in one round trip; it asks Redis
// (Upstash) for the rate limit when configured and healthy, and counts on its own windows otherwise.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { AdmitRequest, AdmitVerdict, LimitState, RedisTarget } from "../contracts/gate";
import type { Tier } from "../contracts/request";
import type { TenantSettings } from "../contracts/tenant-settings";
import { AuthFailure, type Principal, passGate } from "../domain/auth";
import type { Permission } from "../domain/permissions";
import { settingsFor } from "../domain/tenant-settings";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { authDeps, forbidden, missingPermission, refuse } from "./auth";

export const DEFAULT_LIMITS: Record<Tier, number> = { anonymous: 10, authenticated: 100, admin: 1000 };
const WINDOW_MS = 60_000;

export interface RouteRule {
  /** Requests per minute on this route, instead of the tier's. */
  limit?: number;
  /** Count per client IP (for routes reached before anyone is known). */
  perIp?: boolean;
  /** Units one request uses of the window (writes dearer than reads). */
  cost?: number;
  /** How many events the request may create: the monthly quota applies to them. */
  events?: (c: Context<AppEnv>) => number | Promise<number>;
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

function tierOf(principal: Principal | undefined): Tier {
  if (!principal) return "anonymous";
  return principal.roles.some((role) => role === "admin" || role === "platform_admin")
    ? "admin"
    : "authenticated";
}

/** Redis as the limiter, when configured; the TenantGate asks it and falls back on its own windows. */
function redisTarget(config: Config): RedisTarget | undefined {
  const url = config.UPSTASH_REDIS_REST_URL;
  const token = config.UPSTASH_REDIS_REST_TOKEN;
  if (!url || !token) return undefined;
  return {
    url,
    token,
    timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    breakerOpenMs: config.RATE_LIMIT_BREAKER_OPEN_MS,
  };
}

function reportSwitch(c: Context<AppEnv>, to: "gate" | "redis"): void {
  c.get("logger").warn(
    to === "gate"
      ? "rate limiting falls back to the TenantGate: redis circuit opened"
      : "rate limiting back on redis",
  );
  c.get("metrics").inc("xzepr_rate_limit_fallbacks_total", { to });
}

/**
 * Status, permission and admission of a request in ONE TenantGate call (`passGate`): the subject
 * disabled or revoked (401), the role lacking the route's permission (403, decided here, so the
 * gate counts nothing for it), deny lists (403, from the tenant's settings cached in the isolate),
 * rate limit and quota (429), in-flight cap (503). Anonymous callers meet a gate per address for
 * their rate limit. The in-flight slot is released after the response.
 */
export function admission(options: {
  rules: Record<string, RouteRule>;
  exempt: (route: string) => boolean;
  permissions: ReadonlyMap<string, Permission>;
}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = c.get("route");
    if (options.exempt(route)) return next();
    const now = c.get("clock").now().getTime();
    const config = c.get("config");
    const principal = c.get("principal") as Principal | undefined;
    const ip = clientIp(c);
    const settings: TenantSettings = principal ? await settingsFor(c.get("db"), principal.tenantId, now) : {};
    const missing = principal ? missingPermission(c, options.permissions, principal) : undefined;
    const denied =
      principal && (settings.deny_ips?.includes(ip) || settings.deny_principals?.includes(principal.id));

    const rule = options.rules[`${c.req.method} ${route}`] ?? {};
    const tier = tierOf(principal);
    const who = principal && !rule.perIp ? `principal:${principal.id}` : `ip:${ip}`;
    const limiting = config.RATE_LIMITS === "enforce";
    const redis = limiting ? redisTarget(config) : undefined;
    const events = principal && rule.events ? await rule.events(c) : 0;
    const quotaLimit = events > 0 ? settings.event_quota_per_month : undefined;
    const admit: AdmitRequest = {
      now,
      ...(limiting
        ? {
            rateLimit: {
              // A route with a limit of its own counts in a bucket of its own.
              key: rule.limit ? `${who}:${c.req.method}:${route}` : who,
              limit: rule.limit ?? settings.rate_limits?.[tier] ?? DEFAULT_LIMITS[tier],
              windowMs: WINDOW_MS,
              cost: rule.cost ?? 1,
            },
          }
        : {}),
      ...(redis ? { redis } : {}),
      ...(quotaLimit !== undefined ? { quota: { limit: quotaLimit, cost: events } } : {}),
      ...(principal ? { maxInFlight: settings.max_in_flight ?? config.MAX_IN_FLIGHT } : {}),
    };
    // A request refused for its permission or a deny list is not admitted (nothing is counted),
    // but its subject's status is still checked first: 401 comes before 403.
    const refusedAnyway = missing !== undefined || denied;
    let verdict: AdmitVerdict | undefined;
    if (principal) {
      try {
        verdict = await passGate(authDeps(c), principal, refusedAnyway ? undefined : admit);
      } catch (error) {
        if (error instanceof AuthFailure) throw refuse(c, error);
        throw error;
      }
    } else if (limiting) {
      verdict = await c.get("gates")(`anonymous:${ip}`).admit(admit);
    }
    if (missing) throw forbidden(c, principal as Principal, missing);
    if (denied) {
      c.get("logger").info("request denied by tenant deny list");
      throw new ApiError(403, "FORBIDDEN", "Requests from this client are blocked for this tenant.");
    }
    if (verdict?.rateLimiter?.switched) reportSwitch(c, verdict.rateLimiter.switched);
    if (verdict && verdict.verdict !== "admit") {
      if (verdict.verdict === "rate_limited") {
        c.get("metrics").inc("xzepr_rate_limit_rejections_total", { tier });
      } else {
        c.get("metrics").inc("xzepr_admission_rejections_total", { reason: verdict.verdict });
      }
      throw refusal(verdict, now);
    }
    const state = verdict?.limit;
    if (state)
      c.set("rateLimit", { tier, limit: state.limit, remaining: state.remaining, reset: state.reset });

    try {
      await next();
    } finally {
      if (state)
        for (const [name, value] of Object.entries(limitHeaders(state))) c.res.headers.set(name, value);
      if (principal) {
        // Release the in-flight slot, and count the events created (a replay created none).
        const created = c.get("eventsCreated") ?? 0;
        const gate = c.get("gates")(principal.tenantId);
        c.get("after").run("tenant gate leave", () =>
          gate.leave({ events: created, now: c.get("clock").now().getTime(), tenantId: principal.tenantId }),
        );
      }
    }
  });
}
