// The dependency probes readiness runs, built from the configuration.
import { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../db/client";
import type { DependencyCheck } from "../../domain/health";
import { outboxGauges } from "../../domain/outbox";
import type { Config } from "../../env";
import { gateFor } from "../../infra/gate";
import { kafkaAuthHeaders } from "../../infra/kafka";

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
    // Kafka is optional for readiness: accepted events wait in the outbox until it is back. The
    // probe asks an authenticated endpoint of the configured dialect, so a wrong cluster id, a
    // missing topic or refused credentials read as down, not as "the host answered".
    kafka: {
      required: false,
      ...(kafkaUrl
        ? {
            probe: async (signal: AbortSignal) => {
              const response = await fetch(kafkaProbeUrl(config, kafkaUrl), {
                headers: kafkaAuthHeaders(config),
                signal,
              });
              await response.body?.cancel();
              if (!response.ok) throw new Error(`HTTP ${response.status}`);
            },
          }
        : {}),
    },
    // Optional: events are safe in the outbox, but a lag past the threshold needs an operator.
    outbox: {
      required: false,
      probe: async () => {
        const { db } = openDatabase(config, { timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS });
        const { lagSeconds } = await outboxGauges(db, new Date());
        if (lagSeconds > config.OUTBOX_LAG_DEGRADED_SECONDS) {
          throw new Error(`the oldest unpublished message is ${Math.round(lagSeconds)} s old`);
        }
      },
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

/** An endpoint of the configured Kafka REST dialect that needs the credentials and names the target. */
function kafkaProbeUrl(config: Config, baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  switch (config.KAFKA_PRODUCER) {
    case "confluent-v3":
      return `${base}/v3/clusters/${encodeURIComponent(config.KAFKA_CLUSTER_ID ?? "")}`;
    case "rest-v2":
      return `${base}/topics/${encodeURIComponent(config.KAFKA_TOPIC)}`;
    case "upstash":
      return `${base}/topics`;
  }
}
