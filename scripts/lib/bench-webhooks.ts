// The webhook figures of `npm run bench`: a second tenant whose one webhook is subscribed to every
// event (no filter) and points at a local receiver (scripts/lib/webhook-receiver.ts). Its ingest
// scenario (`ingest-webhook`) sits in the throughput table beside plain ingest; the delivery job's
// own rate is measured on a backlog: deliveries queued as the outbox trigger queues them, then
// cron runs until the receiver has them all.
import { sql } from "drizzle-orm";
import { tenants } from "../../src/db/schema";
import { ensureDevTenant, withDatabase } from "./database";
import { type LocalSecrets, mintToken } from "./secrets";
import type { WebhookReceiver } from "./webhook-receiver";

export interface HookedTenant {
  tenantId: string;
  token: string;
  receiverId: string;
  webhookId: string;
}

const HOOK_PATH = "/bench";

/** The tenant, a receiver, and a webhook subscribed to both event types, made through the API. */
export async function seedHookedTenant(options: {
  url: string;
  databaseUrl: string;
  secrets: LocalSecrets;
  receiver: WebhookReceiver;
  settings: object;
}): Promise<HookedTenant> {
  const credentials = await ensureDevTenant(options.databaseUrl, "bench-webhooks");
  await withDatabase(options.databaseUrl, (db) =>
    db
      .update(tenants)
      .set({ settings: options.settings })
      .where(sql`${tenants.id} = ${credentials.tenantId}`),
  );
  const token = await mintToken(options.secrets, { ...credentials, roles: ["admin"] });
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${options.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: { id: string } }).data.id;
  };
  const receiverId = await post("/api/v1/receivers", {
    name: "hooked",
    type: "bench",
    version: "1",
    schema: { type: "object", properties: { size: { type: "integer" } }, required: ["size"] },
  });
  const webhookId = await post("/api/v1/webhooks", {
    url: `${options.receiver.url}${HOOK_PATH}`,
    event_types: ["xzepr.event.created", "xzepr.group.completed"],
  });
  return { tenantId: credentials.tenantId, token, receiverId, webhookId };
}

/** Pending deliveries of the webhook. */
async function pending(databaseUrl: string, webhookId: string): Promise<number> {
  const result = await withDatabase(databaseUrl, (db) =>
    db.execute<{ n: string }>(
      sql`select count(*) as n from webhook_deliveries where webhook_id = ${webhookId} and status = 'pending'`,
    ),
  );
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * Deliveries per second of the delivery job: `count` deliveries queued at once, then the cron
 * handler run back to back (each run sends for WEBHOOK_BUDGET_MS) until the receiver has them all.
 */
export async function deliveryRate(options: {
  url: string;
  databaseUrl: string;
  hooked: HookedTenant;
  receiver: WebhookReceiver;
  count: number;
}): Promise<{ deliveries: number; seconds: number; perSecond: number; left: number }> {
  const { hooked, databaseUrl } = options;
  // Whatever ingest queued is sent first, so that the backlog is the only work.
  await drain(options, 60_000);
  await withDatabase(databaseUrl, (db) =>
    db.execute(sql`
      insert into webhook_deliveries (id, tenant_id, webhook_id, message_id, type, body)
      select xzepr_ulid(clock_timestamp()), ${hooked.tenantId}, ${hooked.webhookId}, 'bench-' || g,
             'xzepr.event.created',
             jsonb_build_object('specversion', '1.0', 'id', 'bench-' || g, 'source', 'bench',
                                'type', 'xzepr.event.created', 'data', jsonb_build_object('n', g))
        from generate_series(1, ${options.count}) g`),
  );
  const before = received(options.receiver);
  const started = performance.now();
  const left = await drain(options, 120_000);
  const seconds = (performance.now() - started) / 1000;
  const deliveries = received(options.receiver) - before;
  return { deliveries, seconds, perSecond: deliveries / seconds, left };
}

const received = (receiver: WebhookReceiver) =>
  receiver.received.filter((hook) => hook.path === HOOK_PATH).length;

/** Runs the cron handler until nothing is pending or `withinMs` passed; returns what is left. */
async function drain(options: { url: string; databaseUrl: string; hooked: HookedTenant }, withinMs: number) {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = await pending(options.databaseUrl, options.hooked.webhookId);
    if (left === 0 || Date.now() > until) return left;
    const response = await fetch(`${options.url}/__scheduled?cron=*+*+*+*+*`);
    await response.body?.cancel();
  }
}
