// The local stack shared by `npm run dev` and the test global setup: PostgreSQL (embedded, or any
// DATABASE_URL), the WebSocket proxy in front of it, migrations, and the Kafka REST sink.

import { migrateDatabase } from "./database";
import { type KafkaSink, startKafkaSink } from "./kafka-sink";
import { assertPortFree } from "./ports";
import { type LocalPostgres, startPostgres } from "./postgres";
import { startWsProxy, type WsProxy } from "./ws-proxy";

export interface StackOptions {
  dataDir: string;
  /** Use this PostgreSQL instead of starting the embedded one. */
  databaseUrl?: string | undefined;
  pgPort: number;
  proxyPort: number;
  sinkPort: number;
  persistent: boolean;
  printSink?: boolean;
  log?: (message: string) => void;
}

export interface Stack {
  databaseUrl: string;
  /** Undefined when the database is Neon, which the driver reaches directly. */
  wsProxy?: string;
  sink: KafkaSink;
  /** The bindings the Worker needs to reach this stack. */
  bindings: Record<string, string>;
  stop(): Promise<void>;
}

function isNeon(url: URL) {
  return url.hostname.endsWith(".neon.tech");
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
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
    if (!isNeon(target)) {
      await assertPortFree(options.proxyPort, "PostgreSQL WebSocket proxy", "XZEPR_PG_PROXY_PORT");
      const host = target.hostname === "localhost" ? "127.0.0.1" : target.hostname;
      const address = `${host}:${target.port || "5432"}`;
      proxy = await startWsProxy({
        port: options.proxyPort,
        allow: [address, `${target.hostname}:${target.port || "5432"}`],
      });
      stoppers.push(() => proxy?.close() ?? Promise.resolve());
      log(`WebSocket proxy for PostgreSQL on ${proxy.address}`);
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
      sink,
      bindings: {
        DATABASE_URL: databaseUrl,
        DATABASE_WS_PROXY: proxy?.address ?? "",
        KAFKA_REST_URL: sink.url,
        KAFKA_CLUSTER_ID: "local",
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
