// The outbox path as tests drive it: the local Kafka REST sink's failure modes and records per
// tenant, the cron relay with configuration overrides, and waiting for the outbox to drain.
import { env } from "cloudflare:test";
import { and, eq, isNull, sql } from "drizzle-orm";
import { inject } from "vitest";
import type { SinkMode, SinkRecord } from "../scripts/lib/kafka-sink";
import { outbox } from "../src/db/schema";
import { loadConfig } from "../src/env";
import { relayOutbox } from "../src/jobs/relay";
import { createLogger } from "../src/lib/logger";
import { Tracer } from "../src/lib/tracing";
import { type TenantFixture, withDb } from "./fixtures";

const { sinkUrl } = inject("stack");

export async function sinkMode(tenant: TenantFixture, mode: Omit<SinkMode, "keyPrefix">): Promise<void> {
  await fetch(`${sinkUrl}/_sink/mode`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...mode, keyPrefix: `${tenant.id}:` }),
  });
}

export async function received(tenant: TenantFixture): Promise<SinkRecord[]> {
  const response = await fetch(`${sinkUrl}/_sink/records?key_prefix=${tenant.id}:`);
  return (await response.json()) as SinkRecord[];
}

export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const stopAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > stopAt) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const pendingCount = async (tenant: TenantFixture) =>
  (
    await withDb((db) =>
      db.execute<{ n: number }>(
        sql`select count(*)::int as n from outbox where tenant_id = ${tenant.id} and published_at is null`,
      ),
    )
  ).rows[0]?.n ?? 0;

export const pendingRows = (tenant: TenantFixture) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, tenant.id), isNull(outbox.publishedAt))),
  );

/** The cron relay, as `scheduled` runs it, with configuration overrides for the test. */
export function relay(overrides: Record<string, string> = {}) {
  const bindings = { ...env, ...overrides };
  const config = loadConfig(bindings);
  return withDb((db) =>
    relayOutbox({ db, config, logger: createLogger("error"), tracer: new Tracer() }, { budgetMs: 20_000 }),
  );
}

/** Relays until the tenant has nothing pending (rows in backoff wait at most OUTBOX_BACKOFF_MAX_MS). */
export async function drain(tenant: TenantFixture, overrides: Record<string, string> = {}, rounds = 400) {
  for (let round = 0; round < rounds; round++) {
    if ((await pendingCount(tenant)) === 0) return;
    await relay(overrides);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`outbox of ${tenant.id} not drained`);
}
