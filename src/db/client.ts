// Drizzle over Neon's SQL-over-HTTP endpoint: every query, and every batch (one non-interactive
// transaction), is one HTTP request served on Neon's pooled connections, so a request opens no
// connection and closes none. Locally the endpoint is `scripts/lib/neon-http.ts` over a warm
// pool (DATABASE_HTTP_ENDPOINT). An interactive transaction (read, decide and write across round
// trips) opens a WebSocket session for its duration: admin paths only, never ingest, reads,
// lists or authentication.
import { type NeonQueryFunction, neon, neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import type { Config } from "../env";
import { DependencyUnavailable, sqlStateOf } from "../lib/errors";
import type { Tracer } from "../lib/tracing";

/**
 * The query API of a request. `transaction` is left out on purpose: over HTTP atomic work is one
 * statement or `db.batch([...])`; an interactive transaction is `DatabaseHandle.transaction`.
 */
export type Database = Omit<NeonHttpDatabase, "transaction">;
type SessionDatabase = ReturnType<typeof drizzleWs>;
/** What an interactive transaction hands its callback. */
export type Transaction = Parameters<Parameters<SessionDatabase["transaction"]>[0]>[0];
export type RunTransaction = <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>;

/**
 * Told of every round trip to the database as it starts (the statement's SQL, or "BATCH"); the
 * function it returns is called when the answer is in. Tracing and the round-trip counts use it.
 */
export type RoundTripObserver = (statement: string) => (error?: unknown) => void;

export interface DatabaseHandle {
  db: Database;
  /** An interactive transaction on a WebSocket session opened for it and ended after it. */
  transaction: RunTransaction;
}

export interface DatabaseOptions {
  observe?: RoundTripObserver;
  /** Abort a round trip (and a session's connection attempt) after this long. */
  timeoutMs?: number;
  /** Where a session's closing goes (waitUntil); awaited when absent. */
  defer?: (work: Promise<unknown>) => void;
}

/**
 * The local stack's endpoints of each database, by the DATABASE_URL's host and port: the driver's
 * settings are global, and an isolate may serve two databases (the tests' outage database), whose
 * queries must not go to the other's endpoint.
 */
const localEndpoints = new Map<string, { http?: string; proxy?: string }>();
const endpointKey = (host: string, port: number | string) => `${host}:${port}`;

function configureDriver(config: Config): void {
  // Local stack only (env.ts refuses both in production).
  const http = config.DATABASE_HTTP_ENDPOINT;
  const proxy = config.DATABASE_WS_PROXY;
  if (!http && !proxy) return;
  const url = new URL(config.DATABASE_URL);
  localEndpoints.set(endpointKey(url.hostname, url.port), { http, proxy });
  if (http)
    neonConfig.fetchEndpoint = (host, port) => localEndpoints.get(endpointKey(host, port))?.http ?? http;
  if (!proxy) return;
  neonConfig.wsProxy = (host, port) =>
    `${localEndpoints.get(endpointKey(host, port))?.proxy ?? proxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** A failure without a SQLSTATE never reached PostgreSQL: the database is unavailable, not the query wrong. */
function classify(error: unknown): unknown {
  return sqlStateOf(error) ? error : new DependencyUnavailable("database", { cause: error });
}

const NO_OBSERVER: RoundTripObserver = () => () => undefined;

/** A client span per round trip, named by the statement's first keyword, with its SQL text (never its parameters). */
export function traceRoundTrips(tracer: Tracer): RoundTripObserver {
  return (statement) => {
    const name = statement.trimStart().split(/\s/, 1)[0]?.toUpperCase() || "query";
    const span = tracer.start(name, "client", {
      "db.system.name": "postgresql",
      "db.query.text": statement.slice(0, 2_000),
    });
    return (error) => span.end(error ? { error } : {});
  };
}

function observed<T>(observe: RoundTripObserver, statement: string, run: () => Promise<T>): Promise<T> {
  const done = observe(statement);
  return run().then(
    (result) => {
      done();
      return result;
    },
    (error: unknown) => {
      done(error);
      throw classify(error);
    },
  );
}

type NeonClient = NeonQueryFunction<false, false>;

/**
 * The driver's client with every round trip observed. A query is sent when it is awaited; one
 * handed to `transaction` is sent with its batch instead, which counts as one round trip.
 */
function observedClient(client: NeonClient, observe: RoundTripObserver): NeonClient {
  const query = ((text: string, params?: unknown[], options?: object) => {
    const pending = client.query(text, params, options);
    const send = pending.then.bind(pending);
    // biome-ignore lint/suspicious/noThenProperty: the driver's query is a lazy thenable, sent when awaited
    pending.then = ((onSent, onFailed) =>
      observed(observe, text, () => send()).then(onSent, onFailed)) as typeof pending.then;
    return pending;
  }) as NeonClient["query"];
  const transaction = ((queries: Parameters<NeonClient["transaction"]>[0], options?: object) => {
    const texts = Array.isArray(queries)
      ? queries.map((item) => ("query" in item.queryData ? item.queryData.query : "")).join(";\n")
      : "";
    return observed(observe, `BATCH\n${texts}`, () => client.transaction(queries, options));
  }) as NeonClient["transaction"];
  return Object.assign(((...args: Parameters<NeonClient>) => client(...args)) as NeonClient, {
    query,
    transaction,
    unsafe: client.unsafe,
  });
}

/** Every query of a session's clients observed, like the HTTP ones. */
function observeSession(pool: Pool, observe: RoundTripObserver): void {
  pool.on("connect", (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      const done = observe((typeof first === "string" ? first : first?.text) ?? "");
      const callback = args.at(-1);
      // The pool queries with a callback; drizzle awaits the promise form.
      if (typeof callback === "function") {
        args[args.length - 1] = (error: unknown, result: unknown) => {
          done(error ?? undefined);
          callback(error, result);
        };
        return query(...args);
      }
      const result = query(...args) as Promise<unknown> | undefined;
      if (typeof result?.then !== "function") done();
      else
        result.then(
          () => done(),
          (error: unknown) => done(error),
        );
      return result;
    }) as typeof client.query;
  });
}

export function openDatabase(config: Config, options: DatabaseOptions = {}): DatabaseHandle {
  configureDriver(config);
  const observe = options.observe ?? NO_OBSERVER;
  const timeout = options.timeoutMs;
  const client = neon(config.DATABASE_URL, {
    ...(timeout ? { fetchOptions: { signal: AbortSignal.timeout(timeout) } } : {}),
  });
  // neon() is typed for its default modes (objects, rows only); drizzle asks per query for others.
  const queries = observedClient(client, observe) as unknown as NeonQueryFunction<boolean, boolean>;
  // No schema: nothing uses the relational query API, and building it costs ~0.2 ms a request.
  const db: Database = drizzleHttp({ client: queries });

  const transaction: RunTransaction = async (work) => {
    const pool = new Pool({
      connectionString: config.DATABASE_URL,
      connectionTimeoutMillis: timeout ?? 10_000,
      max: 1,
    });
    // An idle client's socket error must not become an unhandled rejection.
    pool.on("error", () => undefined);
    observeSession(pool, observe);
    try {
      return await drizzleWs({ client: pool }).transaction(work);
    } finally {
      // Ending a pool whose server went away rejects; the answer does not depend on it.
      const closing = pool.end().catch(() => undefined);
      if (options.defer) options.defer(closing);
      else await closing;
    }
  };
  return { db, transaction };
}
