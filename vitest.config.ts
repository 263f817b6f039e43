import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import "./test/stack.ts";

export default defineConfig({
  test: {
    projects: [
      {
        // Node-side tools: the local stack's servers (proxy, sink, database helpers).
        test: { name: "node", include: ["scripts/**/*.test.ts"], environment: "node" },
      },
      {
        // The Worker: unit and integration tests inside workerd, against the real stack.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                LOG_LEVEL: "error",
                // Retries and the Kafka circuit on a test's time scale.
                OUTBOX_BACKOFF_BASE_MS: "20",
                OUTBOX_BACKOFF_MAX_MS: "200",
                KAFKA_BREAKER_OPEN_MS: "100",
                KAFKA_RETRY_BASE_MS: "10",
                // Tests leave messages of failing tenants behind; readiness tests set their own.
                OUTBOX_LAG_DEGRADED_SECONDS: "3600",
                // Webhook retries a hundred times sooner: 50 ms, 300 ms, 1.2 s, …
                WEBHOOK_BACKOFF_SCALE: "0.01",
                // test/fuzz.test.ts: replay a failing run's seed.
                FUZZ_SEED: process.env.FUZZ_SEED ?? "",
                ...inject("stack").bindings,
              },
            },
          })),
        ],
        test: {
          name: "workers",
          // Some tests wait for a fresh rate-limit minute or stop and start servers.
          testTimeout: 30_000,
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          globalSetup: ["./test/global-setup.ts"],
        },
      },
    ],
  },
});
