// Cron work (wrangler.toml [triggers], every minute): what must not wait for a request. Each step
// runs even when another fails.
import type { Bindings } from "../contracts/bindings";
import { openDatabase, traceRoundTrips } from "../db/client";
import { purgeExpiredKeys } from "../domain/idempotency";
import { purgePublished } from "../domain/outbox";
import { loadConfig } from "../env";
import { exportTrace, tracerFor } from "../infra/otlp";
import { describeError } from "../lib/errors";
import { createLogger } from "../lib/logger";
import { continueTrace } from "../lib/trace";
import { relayOutbox } from "./relay";
import { relayWebhooks } from "./webhooks";

/** The relay stops taking new batches after this, so that runs a minute apart rarely overlap. */
const RELAY_BUDGET_MS = 40_000;
/** Webhook deliveries (retries, and any the requests did not send), after the relay. */
const WEBHOOK_BUDGET_MS = 10_000;

export async function runScheduled(bindings: Bindings, now: Date): Promise<void> {
  const config = loadConfig(bindings);
  const trace = continueTrace(undefined, undefined, config.OTEL_TRACES_SAMPLER_ARG);
  const logger = createLogger(config.LOG_LEVEL, {
    job: "scheduled",
    trace_id: trace.traceId,
    span_id: trace.spanId,
  });
  const tracer = tracerFor(config, trace);
  const span = tracer.startRoot("scheduled", "server", { "faas.trigger": "timer" });
  const { db } = openDatabase(config, { observe: traceRoundTrips(tracer) });
  const failures: unknown[] = [];
  const step = async (name: string, work: () => Promise<Record<string, unknown> | undefined>) => {
    try {
      logger.info(`${name} done`, await work());
    } catch (error) {
      failures.push(error);
      logger.error(`${name} failed`, describeError(error));
    }
  };
  try {
    await step("idempotency purge", async () => ({ purged: await purgeExpiredKeys(db, now) }));
    await step("outbox relay", async () => ({
      ...(await relayOutbox({ db, config, logger, tracer }, { budgetMs: RELAY_BUDGET_MS })),
    }));
    await step("webhook delivery", async () => ({
      ...(await relayWebhooks({ db, config, logger }, { budgetMs: WEBHOOK_BUDGET_MS })),
    }));
    await step("outbox purge", async () => ({ purged: await purgePublished(db, config, now) }));
  } finally {
    span.end(failures.length > 0 ? { error: "scheduled job failed" } : {});
    await exportTrace(config, tracer, logger);
  }
  if (failures.length > 0) throw new AggregateError(failures, "scheduled job failed");
}
