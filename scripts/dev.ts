// `npm run dev`: the whole service locally. Embedded PostgreSQL (or DATABASE_URL), the WebSocket
// proxy, migrations, a dev tenant with an admin API key, the Kafka REST sink, then `wrangler dev`.
// Ctrl-C stops everything it started.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { ensureDevTenant } from "./lib/database";
import { assertPortFree, PortBusyError } from "./lib/ports";
import { localSecrets, mintToken } from "./lib/secrets";
import { type Stack, startStack } from "./lib/stack";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const dataDir = resolve(root, process.env.XZEPR_DATA_DIR ?? ".data");
const port = Number(process.env.PORT ?? 8787);
const tenantSlug = process.env.XZEPR_DEV_TENANT ?? "dev";
const say = (message: string) => console.log(`[dev] ${message}`);

function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

async function waitForLive(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health/live`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("wrangler dev did not answer /health/live within 120 s");
}

async function main() {
  let stack: Stack | undefined;
  let wrangler: ChildProcess | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping");
    if (wrangler && wrangler.exitCode === null) {
      const exited = new Promise((resolve) => wrangler?.once("exit", resolve));
      wrangler.kill("SIGINT");
      const forced = setTimeout(() => wrangler?.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(forced);
    }
    await stack?.stop();
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));

  try {
    await assertPortFree(port, "wrangler dev", "PORT");
    stack = await startStack({
      dataDir,
      databaseUrl: process.env.DATABASE_URL,
      pgPort: Number(process.env.XZEPR_PG_PORT ?? 54329),
      proxyPort: Number(process.env.XZEPR_PG_PROXY_PORT ?? 54330),
      sinkPort: Number(process.env.XZEPR_KAFKA_SINK_PORT ?? 8089),
      persistent: true,
      printSink: true,
      log: say,
    });
    const credentialsFile = join(dataDir, "dev-credentials.json");
    const remembered = existsSync(credentialsFile)
      ? (JSON.parse(readFileSync(credentialsFile, "utf8")) as { apiKey?: string }).apiKey
      : undefined;
    const credentials = await ensureDevTenant(stack.databaseUrl, tenantSlug, remembered);
    writeFileSync(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });

    const secrets = await localSecrets(join(dataDir, "secrets.json"));
    const accessToken = await mintToken(secrets, { ...credentials, roles: ["admin"] });
    const vars = {
      ENVIRONMENT: "development",
      ...secrets,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      CORS_ORIGINS: process.env.CORS_ORIGINS ?? "http://localhost:3000",
      ...stack.bindings,
    };
    const args = [wranglerBin(), "dev", "--ip", "127.0.0.1", "--port", String(port)];
    args.push("--persist-to", join(dataDir, "wrangler"), "--show-interactive-dev-session=false");
    for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
    wrangler = spawn(process.execPath, args, {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    });
    wrangler.once("exit", (code) => void shutdown(code ?? 1));
    const url = `http://127.0.0.1:${port}`;
    await waitForLive(url, wrangler);
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
    console.error(`[dev] ${error instanceof PortBusyError ? error.message : (error as Error).stack}`);
    await shutdown(1);
  }
}

void main();
