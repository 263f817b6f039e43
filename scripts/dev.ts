// `npm run dev`: the whole service locally. Embedded PostgreSQL (or DATABASE_URL), the WebSocket
// proxy and the Neon HTTP endpoint, migrations, a dev tenant with an admin API key, the Kafka REST sink, then `wrangler dev`.
// Ctrl-C stops everything it started.
import { resolve } from "node:path";
import { type DevServer, ROOT, startDevServer } from "./lib/dev-server";
import { PortBusyError } from "./lib/ports";

const say = (message: string) => console.log(`[dev] ${message}`);

async function main() {
  let server: DevServer | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping");
    await server?.stop();
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));

  try {
    server = await startDevServer({
      dataDir: resolve(ROOT, process.env.XZEPR_DATA_DIR ?? ".data"),
      port: Number(process.env.PORT ?? 8787),
      pgPort: Number(process.env.XZEPR_PG_PORT ?? 54329),
      proxyPort: Number(process.env.XZEPR_PG_PROXY_PORT ?? 54330),
      httpPort: Number(process.env.XZEPR_PG_HTTP_PORT ?? 54331),
      rttMs: Number(process.env.XZEPR_DB_RTT_MS ?? 0),
      sinkPort: Number(process.env.XZEPR_KAFKA_SINK_PORT ?? 8089),
      databaseUrl: process.env.DATABASE_URL,
      tenantSlug: process.env.XZEPR_DEV_TENANT ?? "dev",
      vars: {
        LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
        CORS_ORIGINS: process.env.CORS_ORIGINS ?? "http://localhost:3000",
        // Trace export to a local collector, when one is named.
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            (entry): entry is [string, string] => entry[0].startsWith("OTEL_") && Boolean(entry[1]),
          ),
        ),
      },
      printSink: true,
      wranglerOutput: "inherit",
      log: say,
    });
    void server.exited.then((code) => shutdown(code));
    const { url, credentials, accessToken, stack } = server;
    say("ready");
    console.log(
      [
        "",
        `  URL          ${url}`,
        `  API docs     ${url}/docs`,
        `  Readiness    ${url}/health/ready`,
        `  Tenant       ${credentials.tenantSlug} (${credentials.tenantId})`,
        `  API key      ${credentials.apiKey}`,
        `  Access token ${accessToken}`,
        "               (15 min; a new one: npm run token -- --tenant dev --role admin)",
        `  Kafka sink   ${stack.sink.url}/_sink/records`,
        "",
        `  curl -H "X-API-Key: ${credentials.apiKey}" ${url}/api/v1/auth/me`,
        "",
      ].join("\n"),
    );
  } catch (error) {
    // A busy port or a bad setting (RangeError) is the operator's to fix: the message says how.
    const told = error instanceof PortBusyError || error instanceof RangeError;
    console.error(`[dev] ${told ? error.message : (error as Error).stack}`);
    await shutdown(1);
  }
}

void main();
