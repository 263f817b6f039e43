// Runs the outbox publisher with the configured Kafka producer, and flushes its metrics. Used after
// each response that wrote outbox rows (the fast path) and by the cron relay (the guarantee).
import type { Database } from "../db/client";
import { type PublishReport, publishOutbox } from "../domain/outbox";
import type { Config } from "../env";
import { kafkaClient } from "../infra/kafka";
import { MetricsBatch } from "../infra/metrics";
import type { Logger } from "../lib/logger";
import type { Tracer } from "../lib/tracing";

/** Publishes what is ready; without KAFKA_REST_URL nothing is sent and the outbox keeps it all. */
export async function relayOutbox(
  deps: { db: Database; config: Config; logger: Logger; tracer: Tracer },
  options: { keys?: string[]; budgetMs: number },
): Promise<PublishReport | undefined> {
  const kafka = kafkaClient(deps.config);
  if (!kafka) return undefined;
  const metrics = new MetricsBatch();
  try {
    return await publishOutbox({ ...deps, kafka, metrics }, options);
  } finally {
    await metrics.flush(deps.config, deps.logger);
  }
}
