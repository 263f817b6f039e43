// The local stack shared by `npm run dev` and the test global setup: PostgreSQL (embedded, or any
// DATABASE_URL), the WebSocket proxy and the Neon HTTP endpoint in front of it, migrations, and the
// Kafka REST sink.

import { migrateDatabase } from "./database";
import { checkRttMs } from "./distance";
import { type KafkaSink, startKafkaSink } from "./kafka-sink";
import { type NeonHttp, type NeonHttpStats, startNeonHttp } from "./neon-http";
import { assertPortFree } from "./ports";
import { type LocalPostgres, startPostgres } from "./postgres";
import { startWsProxy, type WsProxy } from "./ws-proxy";

export interface StackOptions {
  dataDir: string;
  /** Use this PostgreSQL instead of starting the embedded one. */
  databaseUrl?: string | undefined;
  pgPort: number;
  proxyPort: number;
  /** The Neon SQL-over-HTTP endpoint. */
  httpPort: number;
  sinkPort: number;
  /** Simulated distance to the database: every round trip through the proxy or endpoint waits this long. */
  rttMs?: number;
  persistent: boolean;
  printSink?: boolean;
  log?: (message: string) => void;
}

export interface Stack {
  databaseUrl: string;
  /** Undefined when the database is Neon, which the driver reaches directly. */
  wsProxy?: string;
  /** Undefined when the database is Neon, which serves its own HTTP endpoint. */
  neonHttp?: { url: string; stats(): NeonHttpStats };
  sink: KafkaSink;
  /** The bindings the Worker needs to reach this stack. */
  bindings: Record<string, string>;
  /** Changes the simulated distance of the proxy and the endpoint (nothing to simulate for Neon). */
  setRttMs(ms: number): void;
  stop(): Promise<void>;
}

function isNeon(url: URL) {
  return url.hostname.endsWith(".neon.tech");
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  const rttMs = checkRttMs(options.rttMs ?? 0, "The database round trip (XZEPR_DB_RTT_MS)");
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) {
      await Promise.race([
        stopOne().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 10_000)),
      ]);
    }
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      await assertPortFree(options.pgPort, "embedded PostgreSQL", "XZEPR_PG_PORT");
      log(`starting embedded PostgreSQL on 127.0.0.1:${options.pgPort} (data in ${options.dataDir})`);
      const postgres: LocalPostgres = await startPostgres({
        dataDir: options.dataDir,
        port: options.pgPort,
        persistent: options.persistent,
        log,
      });
      stoppers.push(() => postgres.stop());
      databaseUrl = postgres.url;
    }
    const target = new URL(databaseUrl);
    let proxy: WsProxy | undefined;
    let neonHttp: NeonHttp | undefined;
    if (!isNeon(target)) {
      await assertPortFree(options.proxyPort, "PostgreSQL WebSocket proxy", "XZEPR_PG_PROXY_PORT");
      await assertPortFree(options.httpPort, "Neon HTTP endpoint", "XZEPR_PG_HTTP_PORT");
      const host = target.hostname === "localhost" ? "127.0.0.1" : target.hostname;
      const allow = [`${host}:${target.port || "5432"}`, `${target.hostname}:${target.port || "5432"}`];
      proxy = await startWsProxy({ port: options.proxyPort, allow, rttMs });
      stoppers.push(() => proxy?.close() ?? Promise.resolve());
      log(`WebSocket proxy for PostgreSQL on ${proxy.address}`);
      neonHttp = await startNeonHttp({ port: options.httpPort, allow, rttMs });
      stoppers.push(() => neonHttp?.close() ?? Promise.resolve());
      log(`Neon HTTP endpoint for PostgreSQL on ${neonHttp.url}`);
      if (rttMs > 0) log(`every database round trip waits ${rttMs} ms (XZEPR_DB_RTT_MS)`);
    }
    log("applying migrations");
    await migrateDatabase(databaseUrl);
    await assertPortFree(options.sinkPort, "Kafka REST sink", "XZEPR_KAFKA_SINK_PORT");
    const sink = await startKafkaSink({ port: options.sinkPort, print: options.printSink ?? false });
    stoppers.push(() => sink.close());
    log(`Kafka REST sink on ${sink.url}`);
    return {
      databaseUrl,
      ...(proxy ? { wsProxy: proxy.address } : {}),
      ...(neonHttp ? { neonHttp: { url: neonHttp.url, stats: neonHttp.stats } } : {}),
      sink,
      bindings: {
        DATABASE_URL: databaseUrl,
        DATABASE_WS_PROXY: proxy?.address ?? "",
        DATABASE_HTTP_ENDPOINT: neonHttp?.url ?? "",
        KAFKA_REST_URL: sink.url,
        KAFKA_CLUSTER_ID: "local",
      },
      setRttMs: (ms) => {
        checkRttMs(ms);
        proxy?.setRttMs(ms);
        neonHttp?.setRttMs(ms);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
