// Runs webhook delivery and flushes its metrics. Used after a response that queued deliveries (the
// fast path: the tenants of the requests that queued them, in one run) and by the cron job
// (retries, and the guarantee).
import type { Database } from "../db/client";
import { type DeliveryReport, deliverWebhooks } from "../domain/webhook-delivery";
import type { Config } from "../env";
import { MetricsBatch } from "../infra/metrics";
import type { Logger } from "../lib/logger";

export async function relayWebhooks(
  deps: { db: Database; config: Config; logger: Logger },
  options: { tenantIds?: string[]; budgetMs: number },
): Promise<DeliveryReport> {
  const metrics = new MetricsBatch();
  try {
    return await deliverWebhooks({ ...deps, metrics }, options);
  } finally {
    await metrics.flush(deps.config, deps.logger);
  }
}
