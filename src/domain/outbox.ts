// Publishing the transactional outbox. The one place that reads across tenants: rows are
// delivered by a system process, not on behalf of a caller.
//
// A publisher claims ready rows under a lease, sends them, and records each outcome, until none
// is ready. Claims are serialized by an advisory lock that is only tried, never waited for (a
// busy lock means another publisher is claiming; after a few tries this one leaves the rows to
// it, or to the cron relay). A claim takes, for each key, only an unbroken run of ready rows
// from the key's oldest pending one; so no row is sent while an older row of its key is pending,
// leased elsewhere or waiting for a retry (per-key order), and two publishers never hold the
// same row.
//
// `attempts` counts the times the broker refused a message (a record-level error). A refused
// row waits min(max, base × 2^attempts) × random() (full jitter); after OUTBOX_MAX_ATTEMPTS
// refusals it moves to `dead_letters`, and later rows of its key go on. An endpoint that cannot
// be reached or fails as a whole (timeout, 5xx, refused credentials) is not the message's fault:
// the row waits about KAFKA_BREAKER_OPEN_MS and is never dead-lettered for it, however long the
// outage lasts.
import { sql } from "drizzle-orm";
import { ulid } from "ulidx";
import type { Delivery } from "../contracts/kafka";
import type { Database } from "../db/client";
import type { Config } from "../env";
import type { MetricsBatch } from "../infra/metrics";
import type { Logger } from "../lib/logger";
import type { Tracer } from "../lib/tracing";
import type { KafkaPort } from "./ports";

export interface PublishDeps {
  db: Database;
  config: Config;
  kafka: KafkaPort;
  metrics: MetricsBatch;
  logger: Logger;
  tracer: Tracer;
}

export interface PublishReport {
  published: number;
  failed: number;
  deadLettered: number;
}

type ClaimedRow = {
  id: string;
  seq: number;
  topic: string;
  key: string;
  value: unknown;
  headers: Record<string, string>;
  attempts: number;
};

/** At most this many rows of one key per claim, so one busy key cannot hold a whole batch. */
const ROWS_PER_KEY = 50;
/** Keys sent at once (Workers allow six open connections per invocation; one is the database). */
const PARALLEL_KEYS = 4;
const CLAIM_LOCK = sql`hashtext('xzepr.outbox.claim')`;
const CLAIM_TRIES = 4;

/**
 * Publishes ready rows (only those of `keys`, when given: a request publishes its own key's
 * queue, which costs an index range instead of a scan of every pending row) until none is
 * ready, a round publishes nothing, the circuit is open, or `budgetMs` is spent. Safe to run
 * anywhere at any time, any number at once.
 */
export async function publishOutbox(
  deps: PublishDeps,
  options: { keys?: string[]; budgetMs: number },
): Promise<PublishReport> {
  const report: PublishReport = { published: 0, failed: 0, deadLettered: 0 };
  const stopAt = Date.now() + options.budgetMs;
  const owner = ulid();
  const { breaker } = deps.kafka;
  while (Date.now() < stopAt && !breaker.refuses(Date.now())) {
    const probing = breaker.state !== "closed";
    const rows = await claim(deps, owner, options.keys, probing ? 1 : deps.config.OUTBOX_BATCH_SIZE);
    if (rows.length === 0) break;
    if (!breaker.allows(Date.now())) {
      await release(deps.db, owner, rows);
      break;
    }
    // Start no call that could outlive the lease.
    const deadline = Math.min(
      stopAt,
      Date.now() + deps.config.OUTBOX_LEASE_MS - deps.config.KAFKA_TIMEOUT_MS,
    );
    const outcomes = await deliver(deps, rows, deadline);
    if (probing) breaker.endTrial(); // a trial whose call never started must not hold the circuit half-open
    const round = await record(deps, owner, outcomes);
    report.published += round.published;
    report.failed += round.failed;
    report.deadLettered += round.deadLettered;
    if (round.published === 0) break; // nothing moved: leave the rest to the next run
  }
  return report;
}

/** Tries for the claim lock a few times, a few milliseconds apart; no rows if it stays busy. */
async function claim(
  deps: PublishDeps,
  owner: string,
  keys: string[] | undefined,
  limit: number,
): Promise<ClaimedRow[]> {
  const onlyKeys = keys ? sql`and key in ${keys}` : sql``;
  for (let attempt = 0; attempt < CLAIM_TRIES; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    // One batch, so one round trip and one transaction. The lock is tried by the first statement;
    // the second leases rows only if it was got, and under READ COMMITTED its snapshot is taken
    // after the lock, so it sees every lease committed by the publisher that held it before.
    const [lock, leased] = await deps.db.batch([
      deps.db.execute<{ locked: string }>(
        sql`select set_config('xzepr.claim_locked', pg_try_advisory_xact_lock(${CLAIM_LOCK})::text, true) as locked`,
      ),
      deps.db.execute<ClaimedRow>(sql`
        update outbox
           set lease_until = clock_timestamp() + ${deps.config.OUTBOX_LEASE_MS} * interval '1 millisecond',
               lease_owner = ${owner}
         where current_setting('xzepr.claim_locked') = 'true' and id in (
           select id from (
             select id, seq,
                    bool_and(next_attempt_at <= now() and (lease_until is null or lease_until <= now()))
                      over (partition by key order by seq) as runnable,
                    row_number() over (partition by key order by seq) as position
               from outbox
              where published_at is null ${onlyKeys}
           ) pending
           where runnable and position <= ${ROWS_PER_KEY}
           order by seq
           limit ${limit}
         )
        returning id, seq, topic, key, value, headers, attempts`),
    ]);
    const rows = lock.rows[0]?.locked === "true" ? leased.rows : undefined;
    if (rows) return rows.map((row) => ({ ...row, seq: Number(row.seq) })).sort((a, b) => a.seq - b.seq);
  }
  return [];
}

interface Outcome {
  row: ClaimedRow;
  delivery: Delivery;
}

/** Sends each key's rows in order, up to PARALLEL_KEYS keys at a time. */
async function deliver(deps: PublishDeps, rows: ClaimedRow[], deadline: number): Promise<Outcome[]> {
  const byKey = new Map<string, ClaimedRow[]>();
  for (const row of rows) {
    const id = `${row.topic}\u0000${row.key}`;
    byKey.set(id, [...(byKey.get(id) ?? []), row]);
  }
  const queues = [...byKey.values()];
  const outcomes: Outcome[] = [];
  const worker = async () => {
    for (let run = queues.shift(); run; run = queues.shift()) {
      const span = deps.tracer.start(`send ${run[0]?.topic}`, "producer", {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.destination.name": run[0]?.topic,
        "messaging.batch.message_count": run.length,
      });
      const deliveries = await deps.kafka.producer.send(
        run.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })),
        deadline,
      );
      const failed = deliveries.filter((delivery) => delivery.status === "failed").length;
      span.end(
        failed > 0 ? { error: "delivery failed", attributes: { "xzepr.failed_messages": failed } } : {},
      );
      if (deliveries.some((delivery) => delivery.status === "failed" && delivery.transport)) {
        if (deps.kafka.breaker.failed(Date.now())) deps.logger.warn("kafka circuit opened");
      } else if (deliveries.some((delivery) => delivery.status !== "skipped")) {
        // The endpoint answered (a record-level error is the record's problem, not the endpoint's).
        if (deps.kafka.breaker.succeeded()) deps.logger.info("kafka circuit closed");
      }
      run.forEach((row, index) => {
        outcomes.push({ row, delivery: deliveries[index] ?? { status: "skipped" } });
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_KEYS, queues.length) }, worker));
  return outcomes;
}

async function record(deps: PublishDeps, owner: string, outcomes: Outcome[]): Promise<PublishReport> {
  const { config, db, metrics } = deps;
  const published = outcomes.flatMap(({ row, delivery }) =>
    delivery.status === "published" ? [{ id: row.id, ...delivery }] : [],
  );
  const failed = outcomes.flatMap(({ row, delivery }) =>
    delivery.status === "failed"
      ? [{ row, error: delivery.error.slice(0, 1_000), counts: delivery.transport ? 0 : 1 }]
      : [],
  );
  const isDead = ({ row, counts }: (typeof failed)[number]) =>
    counts === 1 && row.attempts + 1 >= config.OUTBOX_MAX_ATTEMPTS;
  const dead = failed.filter(isDead);
  const retry = failed.filter((failure) => !isDead(failure));
  const skipped = outcomes.filter(({ delivery }) => delivery.status === "skipped").map(({ row }) => row);

  if (published.length > 0) {
    // Marked whoever holds the lease now: the message is on the broker either way.
    const values = sql.join(
      published.map(({ id, partition, offset }) => sql`(${id}, ${partition}::integer, ${offset}::bigint)`),
      sql`, `,
    );
    await db.execute(sql`
      update outbox
         set published_at = now(), partition = v.partition, "offset" = v.offset,
             lease_until = null, lease_owner = null
        from (values ${values}) as v(id, partition, "offset")
       where outbox.id = v.id`);
  }
  if (retry.length > 0) {
    const values = sql.join(
      retry.map(({ row, error, counts }) => sql`(${row.id}, ${error}, ${counts}::integer)`),
      sql`, `,
    );
    // A refused message backs off exponentially; one the endpoint never took waits about as long
    // as the circuit stays open.
    await db.execute(sql`
      update outbox
         set attempts = attempts + v.counts,
             last_error = v.error,
             first_failed_at = coalesce(first_failed_at, now()),
             next_attempt_at = now() + random() * interval '1 millisecond' * (case when v.counts = 0
               then ${config.KAFKA_BREAKER_OPEN_MS}
               else least(${config.OUTBOX_BACKOFF_MAX_MS}, ${config.OUTBOX_BACKOFF_BASE_MS} * power(2, attempts)) end),
             lease_until = null, lease_owner = null
        from (values ${values}) as v(id, error, counts)
       where outbox.id = v.id and lease_owner = ${owner}`);
  }
  let deadLettered = 0;
  if (dead.length > 0) {
    const values = sql.join(
      dead.map(({ row, error }) => sql`(${row.id}, ${error}, ${ulid()})`),
      sql`, `,
    );
    const moved = await db.execute(sql`
      with failed(id, error, dead_letter_id) as (values ${values}),
      moved as (
        delete from outbox using failed
         where outbox.id = failed.id and outbox.lease_owner = ${owner}
        returning outbox.*, failed.error, failed.dead_letter_id
      )
      insert into dead_letters
        (id, tenant_id, outbox_id, topic, key, value, headers, attempts, last_error, first_failed_at, last_failed_at)
      select dead_letter_id, tenant_id, id, topic, key, value, headers, attempts + 1, error,
             coalesce(first_failed_at, now()), now()
        from moved
      returning id, outbox_id`);
    deadLettered = moved.rows.length;
    for (const row of moved.rows) deps.logger.warn("outbox row dead-lettered", row);
  }
  if (skipped.length > 0) await release(db, owner, skipped);

  metrics.inc("xzepr_outbox_published_total", {}, published.length);
  metrics.inc("xzepr_outbox_failed_total", {}, failed.length);
  metrics.inc("xzepr_outbox_retried_total", {}, retry.length);
  metrics.inc("xzepr_outbox_dead_lettered_total", {}, deadLettered);
  return { published: published.length, failed: failed.length, deadLettered };
}

async function release(db: Database, owner: string, rows: ClaimedRow[]): Promise<void> {
  const ids = rows.map((row) => row.id);
  await db.execute(sql`
    update outbox set lease_until = null, lease_owner = null
     where id in ${ids} and lease_owner = ${owner}`);
}

/** Deletes published rows older than the retention, a bounded number per call. */
export async function purgePublished(db: Database, config: Config, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - config.OUTBOX_RETENTION_HOURS * 3_600_000);
  const result = await db.execute(sql`
    delete from outbox where id in (
      select id from outbox where published_at is not null and published_at <= ${cutoff} limit 10000
    )`);
  return result.rowCount ?? 0;
}

/** Age in seconds of the oldest unpublished row (0 when none), and the dead-letter count. */
export async function outboxGauges(
  db: Database,
  now: Date,
): Promise<{ lagSeconds: number; deadLetters: number }> {
  const result = await db.execute<{ oldest: string | null; dead: string }>(sql`
    select (select min(created_at) from outbox where published_at is null) as oldest,
           (select count(*) from dead_letters) as dead`);
  const row = result.rows[0];
  const oldest = row?.oldest ? new Date(row.oldest).getTime() : now.getTime();
  return { lagSeconds: Math.max(0, (now.getTime() - oldest) / 1000), deadLetters: Number(row?.dead ?? 0) };
}
