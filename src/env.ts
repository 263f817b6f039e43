// The whole runtime configuration: one zod schema, parsed once per bindings object.
import { z } from "zod";

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

export const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// connection string"),
    /** host:port of a WebSocket→TCP proxy in front of a plain PostgreSQL (local and tests only). */
    DATABASE_WS_PROXY: optionalString,
    CORS_ORIGINS: csv,
    REQUEST_TIMEOUT_MS: milliseconds(30_000),
    HEALTH_CHECK_TIMEOUT_MS: milliseconds(2_000),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
    MAX_HEADER_BYTES: z.coerce.number().int().positive().default(8_192),
    UPSTASH_REDIS_REST_URL: optionalString.pipe(z.url().optional()),
    UPSTASH_REDIS_REST_TOKEN: optionalString,
    KAFKA_REST_URL: optionalString.pipe(z.url().optional()),
    KAFKA_TOPIC: z.string().min(1).default("xzepr.events"),
  })
  .superRefine((config, ctx) => {
    if (config.ENVIRONMENT === "production" && config.CORS_ORIGINS.includes("*")) {
      ctx.addIssue({
        code: "custom",
        path: ["CORS_ORIGINS"],
        message: "a wildcard origin is refused in production",
      });
    }
    if (config.ENVIRONMENT === "production" && config.DATABASE_WS_PROXY) {
      ctx.addIssue({
        code: "custom",
        path: ["DATABASE_WS_PROXY"],
        message: "the local WebSocket proxy is for development and tests only",
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

/** The issues of a configuration that does not parse, by variable name; values are never included. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((issue) => issue.variable).join(", ")}`);
  }
}

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
