import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env";
import { ConfigError } from "../../src/lib/errors";

const base = {
  DATABASE_URL: "postgres://u:p@db.example/x",
  TENANT_GATE: env.TENANT_GATE,
  METRICS_HUB: env.METRICS_HUB,
  JWT_SECRET: "s".repeat(32),
  CURSOR_SECRET: "c".repeat(32),
};

describe("loadConfig", () => {
  it("applies defaults", () => {
    const config = loadConfig({ ...base });
    expect(config).toMatchObject({
      ENVIRONMENT: "production",
      REQUEST_TIMEOUT_MS: 30_000,
      MAX_BODY_BYTES: 1_048_576,
      MAX_HEADER_BYTES: 8_192,
      CORS_ORIGINS: [],
      KAFKA_TOPIC: "xzepr.events",
    });
  });

  it("parses a comma-separated origin list", () => {
    expect(
      loadConfig({ ...base, CORS_ORIGINS: " https://a.example, https://b.example ," }).CORS_ORIGINS,
    ).toEqual(["https://a.example", "https://b.example"]);
  });

  it.each([
    ["a missing DATABASE_URL", {}, "DATABASE_URL"],
    ["a wildcard origin in production", { ...base, CORS_ORIGINS: "*" }, "CORS_ORIGINS"],
    ["the local proxy in production", { ...base, DATABASE_WS_PROXY: "127.0.0.1:1" }, "DATABASE_WS_PROXY"],
    [
      "a Redis URL without token",
      { ...base, UPSTASH_REDIS_REST_URL: "https://r.example" },
      "UPSTASH_REDIS_REST_TOKEN",
    ],
    ["a non-numeric timeout", { ...base, REQUEST_TIMEOUT_MS: "soon" }, "REQUEST_TIMEOUT_MS"],
    ["no way to sign tokens", { ...base, JWT_SECRET: undefined }, "JWT_SIGNING_KEY"],
    ["a short JWT secret", { ...base, JWT_SECRET: "short" }, "JWT_SECRET"],
    ["a signing key that is not JSON", { ...base, JWT_SIGNING_KEY: "{nope" }, "JWT_SIGNING_KEY"],
    ["a missing cursor secret", { ...base, CURSOR_SECRET: undefined }, "CURSOR_SECRET"],
    ["a missing Durable Object binding", { ...base, TENANT_GATE: undefined }, "TENANT_GATE"],
  ])("refuses %s, naming the variable and not its value", (_, bindings, variable) => {
    let error: unknown;
    try {
      loadConfig(bindings);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.variable)).toContain(variable);
    expect(JSON.stringify((error as ConfigError).issues)).not.toContain("u:p@");
  });
});
