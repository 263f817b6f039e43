// The dependency probes readiness runs, built from the configuration.
import { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../db/client";
import type { DependencyCheck } from "../../domain/health";
import type { Config } from "../../env";
import { gateFor } from "../../infra/gate";

export function dependencyChecks(config: Config): Record<string, DependencyCheck> {
  const redisUrl = config.UPSTASH_REDIS_REST_URL;
  const redisToken = config.UPSTASH_REDIS_REST_TOKEN;
  const kafkaUrl = config.KAFKA_REST_URL;
  return {
    database: {
      required: true,
      probe: async () => {
        const { db } = openDatabase(config, { timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS });
        await db.execute(sql`select 1`);
      },
    },
    // Redis is optional: without it rate limiting falls back to the Durable Object limiter.
    redis: {
      required: false,
      ...(redisUrl && redisToken
        ? {
            probe: async (signal: AbortSignal) => {
              const redis = new Redis({ url: redisUrl, token: redisToken, retry: false, signal });
              const answer = await redis.ping();
              if (answer !== "PONG") throw new Error("unexpected PING answer");
            },
          }
        : {}),
    },
    // Kafka is optional for readiness: accepted events wait in the outbox until it is back.
    kafka: {
      required: false,
      ...(kafkaUrl
        ? {
            probe: async (signal: AbortSignal) => {
              const response = await fetch(kafkaUrl, { method: "GET", signal });
              await response.body?.cancel();
              if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
            },
          }
        : {}),
    },
    // A round trip to a TenantGate that touches its storage.
    durable_objects: {
      required: true,
      probe: async () => {
        await gateFor(config, "health-check").ping();
      },
    },
  };
}
