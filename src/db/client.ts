// Drizzle over the Neon serverless driver: Neon in production, plain PostgreSQL behind a
// WebSocket→TCP proxy locally. A Worker opens one Pool per request (the driver cannot share
// sockets across requests) and ends it after the response.
import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Config } from "../env";
import type { Tracer } from "../lib/tracing";
import * as schema from "./schema";

export type Database = ReturnType<typeof drizzle<typeof schema>>;
/** What `db.transaction` hands its callback: the same query API, inside the transaction. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

function configureDriver(config: Config): void {
  const proxy = config.DATABASE_WS_PROXY;
  if (!proxy) return;
  // The local proxy speaks plain ws:// and forwards to the address it is given.
  neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

export interface DatabaseHandle {
  db: Database;
  /** Ends the pool; hand it to waitUntil. */
  close(): Promise<void>;
}

/** A client span per query, named by its first keyword, with its SQL text (never its parameters). */
function traceQueries(pool: Pool, tracer: Tracer): void {
  pool.on("connect", (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === "string" ? first : first?.text) ?? "";
      const span = tracer.start(text.trimStart().split(/\s/, 1)[0]?.toUpperCase() || "query", "client", {
        "db.system.name": "postgresql",
        "db.query.text": text.slice(0, 2_000),
      });
      const callback = args.at(-1);
      // The pool queries with a callback; drizzle awaits the promise form.
      if (typeof callback === "function") {
        args[args.length - 1] = (error: unknown, result: unknown) => {
          span.end(error ? { error } : {});
          callback(error, result);
        };
        return query(...args);
      }
      const result = query(...args) as Promise<unknown> | undefined;
      if (typeof result?.then !== "function") span.end();
      else
        result.then(
          () => span.end(),
          (error: unknown) => span.end({ error }),
        );
      return result;
    }) as typeof client.query;
  });
}

export function openDatabase(
  config: Config,
  options: { connectionTimeoutMillis?: number; tracer?: Tracer } = {},
): DatabaseHandle {
  configureDriver(config);
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    max: 5,
  });
  // An idle client's socket error must not become an unhandled rejection.
  pool.on("error", () => undefined);
  if (options.tracer?.recording) traceQueries(pool, options.tracer);
  return {
    db: drizzle({ client: pool, schema }),
    // Ending a pool whose server went away rejects; the request is already answered by then.
    close: () => pool.end().catch(() => undefined),
  };
}
