// Drizzle over the Neon serverless driver: Neon in production, plain PostgreSQL behind a
// WebSocket→TCP proxy locally. A Worker opens one Pool per request (the driver cannot share
// sockets across requests) and ends it after the response.
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { Config } from "../env";
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

export function openDatabase(
  config: Config,
  options: { connectionTimeoutMillis?: number } = {},
): DatabaseHandle {
  configureDriver(config);
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    max: 5,
  });
  // An idle client's socket error must not become an unhandled rejection.
  pool.on("error", () => undefined);
  return {
    db: drizzle({ client: pool, schema }),
    // Ending a pool whose server went away rejects; the request is already answered by then.
    close: () => pool.end().catch(() => undefined),
  };
}
