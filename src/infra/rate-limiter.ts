// Sliding-window rate limits on Upstash Redis (@upstash/ratelimit), asked by the tenant's
// TenantGate, behind a circuit breaker: a Redis timeout or error never blocks a request and never
// opens the gates; the gate counts on its own windows instead and switches back when Redis answers.
//
// Calls are batched: while one request to Redis is under way, the calls that arrive wait and go
// together in the next one (the client's auto-pipelining sends calls started in the same tick as
// one pipeline). Each call is still its own script run in Redis, so the counts stay exact; under
// load a tenant's requests cost a fraction of an outbound request each instead of one apiece.
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { LimitState, RateRule, RedisTarget } from "../contracts/gate";
import { CircuitBreaker } from "./circuit-breaker";

export type RedisOutcome =
  | { source: "redis"; state: LimitState; switched?: "redis" }
  | { source: "unavailable"; switched?: "gate" };

interface Waiting {
  rule: RateRule;
  now: number;
  settle: (outcome: RedisOutcome) => void;
}

export class RedisLimits {
  private readonly breaker: CircuitBreaker;
  private readonly redis: Redis;
  private readonly limiters = new Map<string, Ratelimit>();
  private waiting: Waiting[] = [];
  private sending = false;

  constructor(private readonly target: RedisTarget) {
    this.breaker = new CircuitBreaker({ threshold: 5, openMs: target.breakerOpenMs });
    this.redis = new Redis({
      url: target.url,
      token: target.token,
      retry: false,
      enableTelemetry: false,
      enableAutoPipelining: true,
      // Plain JSON answers: the limiter's keys and counts are ASCII, base64 would only cost CPU.
      responseEncoding: false,
    });
  }

  /** Redis's verdict, or why the caller must count on its own. Never throws. */
  limit(rule: RateRule, now: number): Promise<RedisOutcome> {
    return new Promise((settle) => {
      this.waiting.push({ rule, now, settle });
      if (!this.sending) void this.send();
    });
  }

  private async send(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      // Each `ask` reaches the client before its first await: the batch leaves as one pipeline.
      await Promise.all(batch.map(async (call) => call.settle(await this.ask(call.rule, call.now))));
    }
    this.sending = false;
  }

  private async ask(rule: RateRule, now: number): Promise<RedisOutcome> {
    if (!this.breaker.allows(now)) return { source: "unavailable" };
    try {
      // Single region without analytics: the result's `pending` has no background work.
      const result = await this.limiterFor(rule).limit(rule.key, { rate: rule.cost });
      // The library answers success on its own timeout; for us a timeout is a failure.
      if (result.reason === "timeout") throw new Error("redis timeout");
      const state = {
        success: result.success,
        limit: result.limit,
        remaining: result.remaining,
        reset: result.reset,
      };
      return this.breaker.succeeded()
        ? { source: "redis", state, switched: "redis" }
        : { source: "redis", state };
    } catch {
      return this.breaker.failed(now)
        ? { source: "unavailable", switched: "gate" }
        : { source: "unavailable" };
    }
  }

  private limiterFor(rule: RateRule): Ratelimit {
    const id = `${rule.limit}|${rule.windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: this.redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowMs} ms`),
        prefix: "xzepr:rl",
        timeout: this.target.timeoutMs,
        analytics: false,
        // No in-memory block cache: the counts stay exact across objects and isolates.
        ephemeralCache: false,
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}
