// Cron work (wrangler.toml [triggers]): housekeeping that must not wait for a request.
import type { Bindings } from "../context";
import { openDatabase } from "../db/client";
import { purgeExpiredKeys } from "../domain/idempotency";
import { loadConfig } from "../env";
import { createLogger } from "../lib/logger";

export async function runScheduled(bindings: Bindings, now: Date): Promise<void> {
  const config = loadConfig(bindings);
  const logger = createLogger(config.LOG_LEVEL, { job: "scheduled" });
  const { db, close } = openDatabase(config);
  try {
    const purged = await purgeExpiredKeys(db, now);
    logger.info("idempotency keys purged", { purged });
  } catch (error) {
    logger.error("scheduled job failed", { error: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    await close();
  }
}
