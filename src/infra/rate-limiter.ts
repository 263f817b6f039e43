// Sliding-window rate limits on Upstash Redis (@upstash/ratelimit), behind a circuit breaker:
// a Redis timeout or error never blocks a request and never opens the gates; the caller falls
// back to the TenantGate's own limiter and switches back when Redis answers again.
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { LimitState, RateRule } from "../durable/tenant-gate";
import type { Config } from "../env";
import { CircuitBreaker } from "./circuit-breaker";

const breakers = new Map<string, CircuitBreaker>();

/** One breaker per Redis endpoint and isolate. */
function breakerFor(config: Config): CircuitBreaker {
  const id = `${config.UPSTASH_REDIS_REST_URL}|${config.RATE_LIMIT_BREAKER_OPEN_MS}`;
  let breaker = breakers.get(id);
  if (!breaker) {
    breaker = new CircuitBreaker({ threshold: 5, openMs: config.RATE_LIMIT_BREAKER_OPEN_MS });
    breakers.set(id, breaker);
  }
  return breaker;
}
const limiters = new Map<string, Ratelimit>();

function limiterFor(config: Config, rule: RateRule): Ratelimit | undefined {
  const url = config.UPSTASH_REDIS_REST_URL;
  const token = config.UPSTASH_REDIS_REST_TOKEN;
  if (!url || !token) return undefined;
  const id = `${url}|${rule.limit}|${rule.windowMs}`;
  let limiter = limiters.get(id);
  if (!limiter) {
    limiter = new Ratelimit({
      // Plain JSON answers: the limiter's keys and counts are ASCII, base64 would only cost CPU.
      redis: new Redis({ url, token, retry: false, enableTelemetry: false, responseEncoding: false }),
      limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowMs} ms`),
      prefix: "xzepr:rl",
      timeout: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
      analytics: false,
      // No in-isolate block cache: the counts stay exact across isolates.
      ephemeralCache: false,
    });
    limiters.set(id, limiter);
  }
  return limiter;
}

export type RedisOutcome =
  | { source: "redis"; state: LimitState; pending: Promise<unknown> }
  | { source: "unavailable"; reason: "not_configured" | "circuit_open" | "failed"; switched?: "opened" }
  | { source: "redis_recovered"; state: LimitState; pending: Promise<unknown> };

/** Asks Redis; says why not when the caller must use the fallback limiter. */
export async function limitWithRedis(config: Config, rule: RateRule, now: number): Promise<RedisOutcome> {
  const limiter = limiterFor(config, rule);
  if (!limiter) return { source: "unavailable", reason: "not_configured" };
  const breaker = breakerFor(config);
  if (!breaker.allows(now)) return { source: "unavailable", reason: "circuit_open" };
  try {
    const result = await limiter.limit(rule.key, { rate: rule.cost });
    // The library answers success on its own timeout; for us a timeout is a failure.
    if (result.reason === "timeout") throw new Error("redis timeout");
    const state = {
      success: result.success,
      limit: result.limit,
      remaining: result.remaining,
      reset: result.reset,
    };
    const recovered = breaker.succeeded();
    return { source: recovered ? "redis_recovered" : "redis", state, pending: result.pending };
  } catch {
    const opened = breaker.failed(now);
    return { source: "unavailable", reason: "failed", ...(opened ? { switched: "opened" as const } : {}) };
  }
}
