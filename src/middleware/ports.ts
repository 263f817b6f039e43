// The request's ports to what lies outside the isolate: the database (Neon's HTTP endpoint, and
// an interactive session only for a transaction that needs one), the tenants' gates, and the
// publisher. Each round trip gets a client span and is counted (`roundTrips`).
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { AdmitVerdict, LeaveOutcome, PassVerdict } from "../contracts/gate";
import { openDatabase, traceRoundTrips } from "../db/client";
import type { GateDirectory, TenantGatePort } from "../domain/ports";
import type { Config } from "../env";
import { callGate, gateFor } from "../infra/gate";
import { relayOutbox } from "../jobs/relay";
import { relayWebhooks } from "../jobs/webhooks";
import { Coalescer, Coalescers } from "../lib/coalesce";
import { afterResponsePublisher } from "./after-response";

/** Per configuration, the isolate's outbox publishing (keys) and webhook delivery (tenants). */
const relays = new WeakMap<Config, { outbox: Coalescer<string>; webhooks: Coalescer<string> }>();
const leaves = new Coalescers<LeaveOutcome>();
/**
 * What a failed leave call could not deliver, per gate: it rides with the gate's next call from
 * this isolate, so that a gate failing once keeps no slot taken and loses no event's quota.
 */
const undelivered = new Map<string, Required<Omit<LeaveOutcome, "tenantId">>>();

/** How long a request's own publishing may run after its response. */
const PUBLISH_BUDGET_MS = 10_000;
const GATE_SPAN = { "rpc.system": "cloudflare_durable_object", "rpc.service": "TenantGate" };

export function ports() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const config = c.get("config");
    const tracer = c.get("tracer");
    const roundTrips = c.get("roundTrips");
    const after = c.get("after");
    const traced = traceRoundTrips(tracer);
    const { db, transaction } = openDatabase(config, {
      observe: (statement) => {
        const counted = roundTrips.begin("db");
        const spanned = traced(statement);
        return (error) => {
          counted();
          spanned(error);
        };
      },
      defer: (work) => after.run("database session close", () => work),
    });
    c.set("db", db);
    c.set("transaction", transaction);

    const gates: GateDirectory = (name) => {
      const gate = gateFor(config, name);
      const call = async <T>(method: string, work: () => Promise<T>): Promise<T> => {
        const done = roundTrips.begin("gate");
        try {
          return await tracer.span(
            `TenantGate.${method}`,
            "client",
            GATE_SPAN,
            () => callGate(work),
            (result) => ({
              "xzepr.ratelimit.source": (result as { rateLimiter?: { source?: string } } | undefined)
                ?.rateLimiter?.source,
            }),
          );
        } finally {
          done();
        }
      };
      const port: TenantGatePort = {
        // The stub's RPC promises carry disposers this port does not need.
        pass: (request) => call("pass", () => gate.pass(request) as Promise<PassVerdict>),
        admit: (request) => call("admit", () => gate.admit(request) as Promise<AdmitVerdict>),
        // Slots end in the isolate's next leave call for the tenant: one in flight at a time.
        leave: (outcome) =>
          leaves.for(name).add([outcome], async (ended) => {
            const carried = undelivered.get(name);
            undelivered.delete(name);
            const total = {
              released: ended.length + (carried?.released ?? 0),
              events: ended.reduce((sum, one) => sum + one.events, carried?.events ?? 0),
              now: Math.max(...ended.map((one) => one.now), carried?.now ?? 0),
            };
            try {
              await call("leave", () => gate.leave({ tenantId: outcome.tenantId, ...total }));
            } catch (error) {
              // The coalescer runs one call per gate at a time: nothing was carried meanwhile.
              undelivered.set(name, total);
              throw error;
            }
          }),
      };
      return port;
    };
    c.set("gates", gates);

    // The isolate's publishing and delivery for this configuration: one run of each in flight,
    // what requests ask for meanwhile merged into its next run.
    let relay = relays.get(config);
    if (!relay) {
      relay = { outbox: new Coalescer<string>(), webhooks: new Coalescer<string>() };
      relays.set(config, relay);
    }
    const { outbox, webhooks } = relay;
    c.set(
      "publisher",
      afterResponsePublisher(
        after,
        (keys) =>
          outbox.add(keys, async (batch) => {
            await relayOutbox(
              { db, config, logger: c.get("logger"), tracer },
              { keys: [...new Set(batch)], budgetMs: PUBLISH_BUDGET_MS },
            );
          }),
        (tenantId) =>
          webhooks.add([tenantId], async (batch) => {
            await relayWebhooks(
              { db, config, logger: c.get("logger") },
              { tenantIds: [...new Set(batch)], budgetMs: PUBLISH_BUDGET_MS },
            );
          }),
      ),
    );
    await next();
  });
}
