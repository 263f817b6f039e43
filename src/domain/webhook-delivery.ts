// Sending webhook deliveries: like the outbox publisher, a system process across tenants. A run
// claims due deliveries under a lease (one statement), posts each (signed as Standard Webhooks
// says, `webhook-id` the CloudEvent's id on every attempt), and records every outcome in one
// statement. 2xx is delivered. 408, 429, 5xx, a redirect, a timeout (WEBHOOK_TIMEOUT_MS) or a
// network error is retried with backoff and jitter over about a day (RETRY_SCHEDULE ×
// WEBHOOK_BACKOFF_SCALE); any other 4xx is final. A final failure, or the last attempt's, moves the
// delivery to the dead-letter queue (topic `webhook:<id>`; a retry there sends it again). An
// endpoint whose deliveries have all failed for WEBHOOK_DISABLE_AFTER_HOURS is disabled, and an
// audit entry tells its tenant. The target rule is checked again before each post.
import { inArray, sql } from "drizzle-orm";
import { ulid } from "ulidx";
import type { Database } from "../db/client";
import { auditLogs } from "../db/schema";
import type { Config } from "../env";
import type { MetricsBatch } from "../infra/metrics";
import type { Logger } from "../lib/logger";
import { signWebhook } from "../lib/webhook-signature";
import { webhookTargetProblem } from "../lib/webhook-target";
import { auditRow } from "./audit";

/**
 * Seconds before attempts 2 to 11, each wait drawn between half and all of its entry: about a day
 * in all (16 to 32 hours, 24 on average). After the eleventh attempt the delivery is dead-lettered.
 */
export const RETRY_SCHEDULE_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 43200, 43200];
const BATCH = 50;
/** Posts in flight at once (a Worker invocation holds at most six connections open). */
const PARALLEL = 4;

/**
 * How long a claim holds its deliveries: longer than a round can take with every endpoint timing
 * out, so that no other run sends them again meanwhile (its outcomes would then be dropped).
 */
const leaseMs = (config: Config) => Math.ceil(BATCH / PARALLEL) * config.WEBHOOK_TIMEOUT_MS + 30_000;

export interface DeliveryDeps {
  db: Database;
  config: Config;
  logger: Logger;
  metrics: MetricsBatch;
}

export interface DeliveryReport {
  delivered: number;
  retried: number;
  deadLettered: number;
  disabled: number;
}

type Claimed = {
  id: string;
  tenant_id: string;
  webhook_id: string;
  message_id: string;
  body: unknown;
  attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: string | null;
};

type Outcome =
  | { kind: "delivered"; status: number; latencyMs: number }
  | { kind: "retry" | "final"; status: number | null; latencyMs: number | null; error: string };

/** Sends due deliveries (of these tenants, when given) until none is due or `budgetMs` is spent. */
export async function deliverWebhooks(
  deps: DeliveryDeps,
  options: { budgetMs: number; tenantIds?: string[] },
): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retried: 0, deadLettered: 0, disabled: 0 };
  const stopAt = Date.now() + options.budgetMs;
  const owner = ulid();
  while (Date.now() < stopAt) {
    const claimed = await claim(deps.db, owner, leaseMs(deps.config), options.tenantIds);
    if (claimed.length === 0) break;
    const outcomes = await sendAll(deps, claimed);
    const round = await record(deps, owner, claimed, outcomes);
    report.delivered += round.delivered;
    report.retried += round.retried;
    report.deadLettered += round.deadLettered;
    report.disabled += round.disabled;
  }
  return report;
}

async function claim(
  db: Database,
  owner: string,
  lease: number,
  tenantIds: string[] | undefined,
): Promise<Claimed[]> {
  const onlyTenants = tenantIds ? sql`and ${inArray(sql`d2.tenant_id`, tenantIds)}` : sql``;
  const result = await db.execute<Claimed>(sql`
    update webhook_deliveries d
       set lease_until = clock_timestamp() + ${lease} * interval '1 millisecond', lease_owner = ${owner}
      from webhooks w
     where w.id = d.webhook_id and d.id in (
       select d2.id from webhook_deliveries d2 join webhooks w2 on w2.id = d2.webhook_id
        where d2.status = 'pending' and w2.enabled and d2.next_attempt_at <= now()
          and (d2.lease_until is null or d2.lease_until <= now()) ${onlyTenants}
        order by d2.next_attempt_at
        limit ${BATCH}
        for update of d2 skip locked)
    returning d.id, d.tenant_id, d.webhook_id, d.message_id, d.body, d.attempts, w.url, w.secret,
              w.previous_secret, w.previous_secret_until`);
  return result.rows;
}

async function sendAll(deps: DeliveryDeps, claimed: Claimed[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(claimed.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < claimed.length; index = next++) {
      outcomes[index] = await send(deps, claimed[index] as Claimed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, claimed.length) }, worker));
  return outcomes;
}

async function send(deps: DeliveryDeps, delivery: Claimed): Promise<Outcome> {
  const { config } = deps;
  const problem = webhookTargetProblem(delivery.url, {
    production: config.ENVIRONMENT === "production",
    allowHosts: config.WEBHOOK_ALLOWED_HOSTS,
  });
  if (problem) return { kind: "final", status: null, latencyMs: null, error: `the URL ${problem}` };
  const body = JSON.stringify(delivery.body);
  const timestamp = Math.floor(Date.now() / 1000);
  const overlap =
    delivery.previous_secret_until && new Date(delivery.previous_secret_until).getTime() > Date.now();
  const secrets =
    overlap && delivery.previous_secret ? [delivery.secret, delivery.previous_secret] : [delivery.secret];
  const signature = await signWebhook(secrets, { id: delivery.message_id, timestamp, body });
  const started = Date.now();
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "xzepr-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
    });
    await response.body?.cancel();
    const latencyMs = Date.now() - started;
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: "delivered", status, latencyMs };
    const retryable = status === 408 || status === 429 || status >= 500 || (status >= 300 && status < 400);
    return { kind: retryable ? "retry" : "final", status, latencyMs, error: `HTTP ${status}` };
  } catch (error) {
    const latencyMs = Date.now() - started;
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return { kind: "retry", status: null, latencyMs, error: timedOut ? "timed out" : "network error" };
  }
}

async function record(
  deps: DeliveryDeps,
  owner: string,
  claimed: Claimed[],
  outcomes: Outcome[],
): Promise<DeliveryReport> {
  const { config, db, metrics } = deps;
  const lastAttempt = RETRY_SCHEDULE_SECONDS.length + 1;
  const rows = claimed.map((delivery, index) => {
    const outcome = outcomes[index] as Outcome;
    const attempts = delivery.attempts + 1;
    const state =
      outcome.kind === "delivered"
        ? "delivered"
        : outcome.kind === "final" || attempts >= lastAttempt
          ? "dead"
          : "pending";
    // Jitter between half and all of the scheduled wait: spread, yet each wait longer than the last.
    const waitMs =
      state === "pending"
        ? Math.round(
            (RETRY_SCHEDULE_SECONDS[attempts - 1] ?? 0) *
              1000 *
              config.WEBHOOK_BACKOFF_SCALE *
              (0.5 + Math.random() / 2),
          )
        : 0;
    return {
      id: delivery.id,
      state,
      attempts,
      waitMs,
      status: outcome.status,
      latencyMs: outcome.latencyMs,
      error: outcome.kind === "delivered" ? null : outcome.error,
    };
  });
  const values = sql.join(
    rows.map(
      (row) =>
        sql`(${row.id}, ${row.state}, ${row.attempts}::integer, ${row.waitMs}::integer, ${row.status}::integer, ${row.latencyMs}::integer, ${row.error}, ${ulid()})`,
    ),
    sql`, `,
  );
  const disableAfter = config.WEBHOOK_DISABLE_AFTER_HOURS;
  // One statement: the deliveries' outcomes, the dead ones into the dead-letter queue, the
  // endpoints' failure records, and the endpoints failing for too long disabled.
  const result = await db.execute<{
    disabled_id: string | null;
    disabled_tenant: string | null;
    dead: string;
    delivered: string;
    retried: string;
  }>(sql`
    with outcome(id, state, attempts, wait_ms, status, latency_ms, error, dead_letter_id) as (values ${values}),
    updated as (
      update webhook_deliveries d
         set status = o.state, attempts = o.attempts, last_status = o.status, last_latency_ms = o.latency_ms,
             last_error = o.error, next_attempt_at = now() + o.wait_ms * interval '1 millisecond',
             delivered_at = case when o.state = 'delivered' then now() end,
             lease_until = null, lease_owner = null
        from outcome o
       where d.id = o.id and d.lease_owner = ${owner}
      returning d.*, o.state as new_state, o.dead_letter_id
    ),
    dead as (
      insert into dead_letters
        (id, tenant_id, outbox_id, topic, key, value, headers, attempts, last_error, first_failed_at, last_failed_at)
      select dead_letter_id, tenant_id, id, 'webhook:' || webhook_id, message_id, body, '{}'::jsonb, attempts,
             coalesce(last_error, 'failed'), created_at, now()
        from updated where new_state = 'dead'
      returning id
    ),
    -- One update per endpoint (a row cannot be updated twice in a statement): its failure record,
    -- and, failing for too long, disabled.
    health as (
      update webhooks w
         set failing_since = case when h.any_delivered then null else coalesce(w.failing_since, now()) end,
             enabled = w.enabled and not h.disable,
             disabled_reason = case when h.disable
               then format('every delivery failed for %s hours', ${disableAfter}::integer) else w.disabled_reason end,
             updated_at = case when h.disable then now() else w.updated_at end
        from (select u.webhook_id, bool_or(u.new_state = 'delivered') as any_delivered,
                     coalesce(bool_and(w0.enabled and u.new_state <> 'delivered'
                       and w0.failing_since <= now() - ${disableAfter} * interval '1 hour'), false) as disable
                from updated u join webhooks w0 on w0.id = u.webhook_id group by u.webhook_id) h
       where w.id = h.webhook_id
      returning w.id, w.tenant_id, h.disable
    ),
    disabled as (select id, tenant_id from health where disable)
    select d.id as disabled_id, d.tenant_id as disabled_tenant,
           (select count(*) from dead) as dead,
           (select count(*) from updated where new_state = 'delivered') as delivered,
           (select count(*) from updated where new_state = 'pending') as retried
      from (select 1) one left join disabled d on true`);
  const first = result.rows[0];
  const disabled = result.rows.filter((row) => row.disabled_id !== null);
  if (disabled.length > 0) {
    const entries = disabled.map((row) =>
      auditRow(
        {
          tenantId: row.disabled_tenant as string,
          principal: "system",
          request: { id: ulid(), ip: undefined, userAgent: undefined },
        },
        {
          action: "webhook.disabled",
          resourceType: "webhook",
          resourceId: row.disabled_id,
          outcome: "failure",
        },
      ),
    );
    await db.insert(auditLogs).values(entries);
    for (const row of disabled)
      deps.logger.warn("webhook disabled after failing", { webhook_id: row.disabled_id });
  }
  const report = {
    delivered: Number(first?.delivered ?? 0),
    retried: Number(first?.retried ?? 0),
    deadLettered: Number(first?.dead ?? 0),
    disabled: disabled.length,
  };
  metrics.inc("xzepr_webhook_deliveries_total", { outcome: "delivered" }, report.delivered);
  metrics.inc("xzepr_webhook_deliveries_total", { outcome: "retried" }, report.retried);
  metrics.inc("xzepr_webhook_deliveries_total", { outcome: "dead_lettered" }, report.deadLettered);
  return report;
}
