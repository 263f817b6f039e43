// Admission (API.md "Headers", rate limits): deny lists (403), rate limits (429 RATE_LIMITED),
// the monthly event quota (429 QUOTA_EXCEEDED) and the tenant's in-flight cap (503 OVERLOADED).
// Redis (Upstash) limits when configured and healthy; the TenantGate limits otherwise.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { Principal } from "../domain/auth";
import { settingsFor } from "../domain/tenant-settings";
import type { TenantSettings } from "../domain/tenants";
import type { AdmitVerdict, LimitState, RateRule } from "../durable/tenant-gate";
import { gateFor } from "../infra/gate";
import { limitWithRedis } from "../infra/rate-limiter";
import { ApiError } from "../lib/errors";

export type Tier = "anonymous" | "authenticated" | "admin";

export const DEFAULT_LIMITS: Record<Tier, number> = { anonymous: 10, authenticated: 100, admin: 1000 };
const WINDOW_MS = 60_000;
const GATE_SPAN = { "rpc.system": "cloudflare_durable_object", "rpc.service": "TenantGate" };

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

function tierOf(principal: Principal | undefined): Tier {
  if (!principal) return "anonymous";
  return principal.roles.some((role) => role === "admin" || role === "platform_admin")
    ? "admin"
    : "authenticated";
}

/** Redis's verdict, or undefined when the TenantGate must decide (not configured, circuit open, failing). */
async function limitOnRedis(
  c: Context<AppEnv>,
  rule: RateRule,
  now: number,
): Promise<LimitState | undefined> {
  const config = c.get("config");
  const span = config.UPSTASH_REDIS_REST_URL
    ? c.get("tracer").start("ratelimit redis", "client", { "db.system.name": "redis" })
    : undefined;
  const outcome = await limitWithRedis(config, rule, now);
  span?.end({
    attributes: { "xzepr.ratelimit.source": outcome.source },
    ...(outcome.source === "unavailable" && outcome.reason === "failed" ? { error: "redis failed" } : {}),
  });
  const logger = c.get("logger");
  if (outcome.source === "unavailable") {
    if (outcome.switched === "opened") {
      logger.warn("rate limiting falls back to the TenantGate: redis circuit opened");
      c.get("metrics").inc("xzepr_rate_limit_fallbacks_total", { to: "gate" });
    }
    return undefined;
  }
  if (outcome.source === "redis_recovered") {
    logger.warn("rate limiting back on redis");
    c.get("metrics").inc("xzepr_rate_limit_fallbacks_total", { to: "redis" });
  }
  c.executionCtx.waitUntil(outcome.pending);
  return outcome.state;
}

export function admission(options: { rules: Record<string, RouteRule>; exempt: (route: string) => boolean }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = c.get("route");
    if (options.exempt(route)) return next();
    const now = Date.now();
    const config = c.get("config");
    const principal = c.get("principal") as Principal | undefined;
    const ip = clientIp(c);
    const settings: TenantSettings = principal ? await settingsFor(c.get("db"), principal.tenantId, now) : {};

    if (principal && (settings.deny_ips?.includes(ip) || settings.deny_principals?.includes(principal.id))) {
      c.get("logger").info("request denied by tenant deny list");
      throw new ApiError(403, "FORBIDDEN", "Requests from this client are blocked for this tenant.");
    }

    const rule = options.rules[`${c.req.method} ${route}`] ?? {};
    const tier = tierOf(principal);
    const who = principal && !rule.perIp ? `principal:${principal.id}` : `ip:${ip}`;
    const rateRule: RateRule = {
      // A route with a limit of its own counts in a bucket of its own.
      key: rule.limit ? `${who}:${c.req.method}:${route}` : who,
      limit: rule.limit ?? settings.rate_limits?.[tier] ?? DEFAULT_LIMITS[tier],
      windowMs: WINDOW_MS,
      cost: rule.cost ?? 1,
    };
    const limiting = config.RATE_LIMITS === "enforce";
    const onRedis = limiting ? await limitOnRedis(c, rateRule, now) : undefined;
    const reject = (verdict: Exclude<AdmitVerdict, { verdict: "admit" }>) => {
      if (verdict.verdict === "rate_limited") {
        c.get("metrics").inc("xzepr_rate_limit_rejections_total", { tier });
      } else {
        c.get("metrics").inc("xzepr_admission_rejections_total", { reason: verdict.verdict });
      }
      return refusal(verdict, now);
    };
    if (onRedis && !onRedis.success) throw reject({ verdict: "rate_limited", limit: onRedis });

    // Tenants meet their gate for quota and in-flight; anonymous callers only for the fallback limit.
    const gateLimits = limiting && !onRedis;
    const gate = gateFor(config, principal ? principal.tenantId : `anonymous:${ip}`);
    const quotaLimit = rule.quota ? settings.event_quota_per_month : undefined;
    const tracer = c.get("tracer");
    const verdict =
      principal || gateLimits
        ? await tracer.span(
            "TenantGate.admit",
            "client",
            GATE_SPAN,
            async (): Promise<AdmitVerdict> =>
              gate.admit({
                now,
                ...(gateLimits ? { rateLimit: rateRule } : {}),
                ...(quotaLimit !== undefined ? { quota: { limit: quotaLimit, cost: 1 } } : {}),
                ...(principal ? { maxInFlight: settings.max_in_flight ?? config.MAX_IN_FLIGHT } : {}),
              }),
          )
        : undefined;
    if (verdict && verdict.verdict !== "admit") throw reject(verdict);
    const state = onRedis ?? verdict?.limit;
    if (state)
      c.set("rateLimit", { tier, limit: state.limit, remaining: state.remaining, reset: state.reset });

    try {
      await next();
    } finally {
      if (state)
        for (const [name, value] of Object.entries(limitHeaders(state))) c.res.headers.set(name, value);
      if (principal) {
        // Release the in-flight slot, and count the event if one was created.
        const events = rule.quota && c.res.status === 201 ? 1 : 0;
        const left = tracer
          .span("TenantGate.leave", "client", GATE_SPAN, () =>
            gate.leave({ events, now: Date.now(), tenantId: principal.tenantId }),
          )
          .catch((error: unknown) => {
            c.get("logger").error("tenant gate leave failed", { error: String(error) });
          });
        c.executionCtx.waitUntil(left);
      }
    }
  });
}
