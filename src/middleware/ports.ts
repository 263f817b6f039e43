// The request's ports to what lies outside the isolate: the database (Neon's HTTP endpoint, and
// an interactive session only for a transaction that needs one), the tenants' gates, and the
// publisher. Each round trip gets a client span and is counted (`roundTrips`).
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { openDatabase, traceRoundTrips } from "../db/client";
import type { GateDirectory, TenantGatePort } from "../domain/ports";
import type { AdmitVerdict, PassVerdict } from "../durable/tenant-gate";
import { gateFor } from "../infra/gate";
import { relayOutbox } from "../jobs/relay";
import { afterResponsePublisher } from "./after-response";

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
          return await tracer.span(`TenantGate.${method}`, "client", GATE_SPAN, work, (result) => ({
            "xzepr.ratelimit.source": (result as { rateLimiter?: { source?: string } } | undefined)
              ?.rateLimiter?.source,
          }));
        } finally {
          done();
        }
      };
      const port: TenantGatePort = {
        // The stub's RPC promises carry disposers this port does not need.
        pass: (request) => call("pass", () => gate.pass(request) as Promise<PassVerdict>),
        admit: (request) => call("admit", () => gate.admit(request) as Promise<AdmitVerdict>),
        leave: (outcome) => call("leave", () => gate.leave(outcome)),
      };
      return port;
    };
    c.set("gates", gates);

    c.set(
      "publisher",
      afterResponsePublisher(after, (keys) =>
        relayOutbox({ db, config, logger: c.get("logger"), tracer }, { keys, budgetMs: PUBLISH_BUDGET_MS }),
      ),
    );
    await next();
  });
}
