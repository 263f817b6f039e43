// The whole runtime configuration: one zod schema, parsed once per bindings object.
import { z } from "zod";
import type { TenantGateRpc } from "./contracts/gate";
import type { MetricsHubRpc } from "./contracts/metrics";
import { ConfigError } from "./lib/errors";

const csv = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const milliseconds = (fallback: number) => z.coerce.number().int().positive().max(600_000).default(fallback);

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

const jsonText = <T extends z.ZodType>(schema: T) =>
  optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "must be JSON" });
          return z.NEVER;
        }
      })
      .pipe(schema)
      .optional(),
  );

/** `key1=value1,key2=value2` with percent-encoded values (the OTEL_* list format). */
const keyValueList = optionalString.transform((text, ctx) => {
  const pairs: Record<string, string> = {};
  for (const item of (text ?? "").split(",")) {
    if (item.trim() === "") continue;
    const at = item.indexOf("=");
    const key = item.slice(0, at).trim();
    try {
      if (at < 1 || key === "") throw new Error("no key");
      pairs[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      ctx.addIssue({ code: "custom", message: "must be key=value pairs separated by commas" });
      return z.NEVER;
    }
  }
  return pairs;
});

const Jwk = z.looseObject({
  kty: z.string(),
  kid: z.string().min(1),
  alg: z.enum(["RS256", "ES256", "EdDSA"]),
});
export type JwkConfig = z.infer<typeof Jwk>;

const durableObjectNamespace = <T>() =>
  z.custom<T>((value) => typeof value === "object" && value !== null && "idFromName" in value, {
    message: "must be a Durable Object namespace binding",
  });

export const ConfigSchema = z
  .object({
    TENANT_GATE: durableObjectNamespace<DurableObjectNamespace<TenantGateRpc>>(),
    METRICS_HUB: durableObjectNamespace<DurableObjectNamespace<MetricsHubRpc>>(),
    /** Swagger UI's files for /docs (wrangler.toml `[assets]`); without it /docs/* answers 404. */
    ASSETS: z
      .custom<Fetcher>((value) => typeof value === "object" && value !== null && "fetch" in value, {
        message: "must be a static assets binding",
      })
      .optional(),
    /** Names the MetricsHub shards: one set of counters per environment (tests use their own). */
    METRICS_NAMESPACE: z.string().min(1).max(64).default("metrics"),
    /** Bearer token a Prometheus scraper may use on GET /metrics instead of admin credentials. */
    METRICS_TOKEN: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
    ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
    /** GraphQL introspection in production (always on elsewhere). */
    GRAPHQL_INTROSPECTION: z.enum(["on", "off"]).default("off"),
    /** OTLP/HTTP collector; traces go to `<endpoint>/v1/traces` as JSON. Unset: no export. */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url().optional()),
    /** The full traces URL, when it is not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(z.url().optional()),
    /** Headers of every export, such as a vendor's API key: `x-honeycomb-team=…,other=…`. */
    OTEL_EXPORTER_OTLP_HEADERS: keyValueList,
    OTEL_EXPORTER_OTLP_TIMEOUT: milliseconds(10_000),
    OTEL_SERVICE_NAME: z.string().min(1).default("xzepr-edge"),
    OTEL_RESOURCE_ATTRIBUTES: keyValueList,
    /** Share of new traces recorded (0..1); a continued trace follows its caller's sampled flag. */
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// connection string"),
    /** host:port of a WebSocket→TCP proxy in front of a plain PostgreSQL (local and tests only). */
    DATABASE_WS_PROXY: optionalString,
    /** Neon's SQL-over-HTTP endpoint when it is not Neon's own (the local stack's; not in production). */
    DATABASE_HTTP_ENDPOINT: optionalString.pipe(z.url().optional()),
    /**
     * `Server-Timing: db;count=…;dur=…, gate;count=…;dur=…` on every response: the round trips of
     * its critical path. Default: on, except in production.
     */
    SERVER_TIMING: z.enum(["on", "off"]).optional(),
    CORS_ORIGINS: csv,
    REQUEST_TIMEOUT_MS: milliseconds(30_000),
    HEALTH_CHECK_TIMEOUT_MS: milliseconds(2_000),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
    MAX_HEADER_BYTES: z.coerce.number().int().positive().default(8_192),
    UPSTASH_REDIS_REST_URL: optionalString.pipe(z.url().optional()),
    UPSTASH_REDIS_REST_TOKEN: optionalString,
    /** "off" skips the rate-limit step (behind another gateway that limits, or to measure it). */
    RATE_LIMITS: z.enum(["enforce", "off"]).default("enforce"),
    /** Past it a rate-limit call to Redis counts as failed and the TenantGate limiter decides. */
    RATE_LIMIT_REDIS_TIMEOUT_MS: milliseconds(1_000),
    /** How long the Redis circuit stays open before one request tries Redis again. */
    RATE_LIMIT_BREAKER_OPEN_MS: milliseconds(30_000),
    /** Requests of one tenant in flight at once before 503 OVERLOADED (tenant settings override). */
    MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000).default(200),
    /** Which Kafka REST dialect KAFKA_REST_URL speaks. `upstash` is legacy (Upstash Kafka is discontinued). */
    KAFKA_PRODUCER: z.enum(["confluent-v3", "rest-v2", "upstash"]).default("confluent-v3"),
    /** Base URL of the Kafka REST endpoint; without it the outbox keeps every message until it is set. */
    KAFKA_REST_URL: optionalString.pipe(z.url().optional()),
    /** Confluent v3: the cluster id in `/v3/clusters/{id}/topics/{topic}/records`. */
    KAFKA_CLUSTER_ID: optionalString,
    /** Basic auth of the REST endpoint (Confluent API key and secret; Upstash username and password). */
    KAFKA_USERNAME: optionalString,
    KAFKA_PASSWORD: optionalString,
    KAFKA_TOPIC: z.string().min(1).default("xzepr.events"),
    /** Bound of one produce call. */
    KAFKA_TIMEOUT_MS: milliseconds(10_000),
    /** Retries of a produce call the endpoint failed as a whole, after full-jitter exponential delays. */
    KAFKA_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    KAFKA_RETRY_BASE_MS: milliseconds(100),
    /** How long the Kafka circuit stays open (it opens after 5 failed produce calls in a row). */
    KAFKA_BREAKER_OPEN_MS: milliseconds(30_000),
    /** Failed publish attempts after which an outbox row moves to the dead-letter queue. */
    /** Readiness reports `degraded` (check `outbox`) while the oldest unpublished message is older. */
    OUTBOX_LAG_DEGRADED_SECONDS: z.coerce.number().int().min(0).max(604_800).default(300),
    OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(10),
    /** Retry delay before attempt n+1: uniform in [0, min(MAX, BASE × 2^n)] (full jitter). */
    OUTBOX_BACKOFF_BASE_MS: milliseconds(1_000),
    OUTBOX_BACKOFF_MAX_MS: milliseconds(600_000),
    /** Rows one publisher claims at once (the cron relay works in batches of this size). */
    OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
    /** How long a claim holds its rows; an expired claim frees them for another publisher. */
    OUTBOX_LEASE_MS: milliseconds(60_000),
    /** Published rows are kept this long (for their broker offsets), then purged by the cron. */
    OUTBOX_RETENTION_HOURS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 90)
      .default(24),
    JWT_ISSUER: z.string().min(1).default("xzepr"),
    JWT_AUDIENCE: z.string().min(1).default("xzepr-api"),
    /** Private JWK (RS256, ES256 or EdDSA, with `kid`) that signs the tokens this service issues. */
    JWT_SIGNING_KEY: optionalString.pipe(
      z
        .union([
          z
            .string()
            .startsWith("-----BEGIN PRIVATE KEY-----")
            .transform((pem) => ({ format: "pem" as const, pem })),
          jsonText(Jwk.extend({ d: z.string() })).transform((jwk) =>
            jwk ? { format: "jwk" as const, jwk } : undefined,
          ),
        ])
        .optional(),
    ),
    /** With a PEM (PKCS#8) JWT_SIGNING_KEY: its `kid` and algorithm. */
    JWT_SIGNING_KEY_ID: optionalString,
    JWT_SIGNING_ALG: z.enum(["RS256", "ES256", "EdDSA"]).optional(),
    /** Public JWKs of earlier signing keys, still accepted and published until their tokens expire. */
    JWT_PREVIOUS_KEYS: jsonText(z.array(Jwk)),
    /** HS256 secret (at least 32 characters): signs when no JWT_SIGNING_KEY is set. */
    JWT_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
    /** Remote JWKS of an external issuer whose tokens are accepted too. */
    JWT_JWKS_URL: optionalString.pipe(z.url().optional()),
    JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(900),
    REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(604_800),
    /** Hosts (`host` or `host:port`) a webhook may point at whatever their address: local receivers only. */
    WEBHOOK_ALLOWED_HOSTS: csv,
    /** A delivery not answered in this time failed (and is retried). */
    WEBHOOK_TIMEOUT_MS: milliseconds(10_000),
    /** Scales the retry schedule (about a day in all at 1; tests shrink it). */
    WEBHOOK_BACKOFF_SCALE: z.coerce.number().positive().max(10).default(1),
    /** An endpoint whose deliveries have all failed this long is disabled. */
    WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().int().positive().max(8_760).default(72),
    /** After a rotation the previous secret signs too, this long. */
    WEBHOOK_SECRET_OVERLAP_HOURS: z.coerce.number().int().min(0).max(720).default(24),
    /** Signs list cursors so that an altered cursor is refused. */
    CURSOR_SECRET: z.string().min(32, "must be at least 32 characters"),
  })
  .superRefine((config, ctx) => {
    if (config.ENVIRONMENT === "production" && config.CORS_ORIGINS.includes("*")) {
      ctx.addIssue({
        code: "custom",
        path: ["CORS_ORIGINS"],
        message: "a wildcard origin is refused in production",
      });
    }
    if (config.ENVIRONMENT === "production" && config.WEBHOOK_ALLOWED_HOSTS.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_ALLOWED_HOSTS"],
        message: "webhooks to local hosts are for development and tests only",
      });
    }
    for (const local of ["DATABASE_WS_PROXY", "DATABASE_HTTP_ENDPOINT"] as const) {
      if (config.ENVIRONMENT === "production" && config[local]) {
        ctx.addIssue({
          code: "custom",
          path: [local],
          message: "the local database endpoints are for development and tests only",
        });
      }
    }
    if (config.JWT_SIGNING_KEY?.format === "pem" && (!config.JWT_SIGNING_KEY_ID || !config.JWT_SIGNING_ALG)) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SIGNING_KEY_ID"],
        message: "a PEM JWT_SIGNING_KEY needs JWT_SIGNING_KEY_ID and JWT_SIGNING_ALG",
      });
    }
    if (!config.JWT_SIGNING_KEY && !config.JWT_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SIGNING_KEY"],
        message: "set JWT_SIGNING_KEY (or JWT_SECRET) to issue and verify tokens",
      });
    }
    if (config.KAFKA_REST_URL && config.KAFKA_PRODUCER === "confluent-v3" && !config.KAFKA_CLUSTER_ID) {
      ctx.addIssue({
        code: "custom",
        path: ["KAFKA_CLUSTER_ID"],
        message: "the confluent-v3 producer needs KAFKA_CLUSTER_ID",
      });
    }
    if (config.KAFKA_REST_URL && config.KAFKA_PRODUCER === "upstash" && !config.KAFKA_PASSWORD) {
      ctx.addIssue({
        code: "custom",
        path: ["KAFKA_PASSWORD"],
        message: "the upstash producer needs KAFKA_USERNAME and KAFKA_PASSWORD",
      });
    }
    if (config.KAFKA_TIMEOUT_MS >= config.OUTBOX_LEASE_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["OUTBOX_LEASE_MS"],
        message: "must be longer than KAFKA_TIMEOUT_MS",
      });
    }
    if (Boolean(config.UPSTASH_REDIS_REST_URL) !== Boolean(config.UPSTASH_REDIS_REST_TOKEN)) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTASH_REDIS_REST_TOKEN"],
        message: "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together",
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

const parsed = new WeakMap<object, Config | ConfigError>();

/** Parses the bindings once per isolate and bindings object; a bad configuration throws ConfigError. */
export function loadConfig(bindings: object): Config {
  let result = parsed.get(bindings);
  if (!result) {
    const outcome = ConfigSchema.safeParse(bindings);
    result = outcome.success
      ? outcome.data
      : new ConfigError(
          outcome.error.issues.map((issue) => ({ variable: issue.path.join("."), message: issue.message })),
        );
    parsed.set(bindings, result);
  }
  if (result instanceof ConfigError) throw result;
  return result;
}
