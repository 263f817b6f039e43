// The whole service on this machine: the local stack, the dev tenant and `wrangler dev`.
// Used by `npm run dev` and by `npm run bench`.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { type DevCredentials, ensureDevTenant } from "./database";
import { assertPortFree } from "./ports";
import { recordRunning } from "./running";
import { localSecrets, mintToken } from "./secrets";
import { type Stack, startStack } from "./stack";

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..", "..");

export interface DevServerOptions {
  dataDir: string;
  port: number;
  pgPort: number;
  proxyPort: number;
  httpPort: number;
  sinkPort: number;
  /** Simulated distance to the database (see StackOptions). */
  rttMs?: number;
  databaseUrl?: string | undefined;
  tenantSlug: string;
  vars?: Record<string, string>;
  printSink?: boolean;
  /** Where wrangler's own output goes. */
  wranglerOutput: "inherit" | "ignore";
  /** See WranglerOptions. */
  devtools?: boolean;
  log: (message: string) => void;
}

export interface DevServer {
  url: string;
  /** The wrangler process; workerd runs below it. */
  pid: number;
  stack: Stack;
  credentials: DevCredentials;
  accessToken: string;
  /** The Worker's variables, for starting more instances against the same stack. */
  vars: Record<string, string>;
  /** Resolves with wrangler's exit code if it stops on its own. */
  exited: Promise<number>;
  stop(): Promise<void>;
}

function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

async function waitForLive(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("wrangler dev did not answer /health/live within 120 s");
}

export interface WranglerOptions {
  dataDir: string;
  port: number;
  vars: Record<string, string>;
  output: "inherit" | "ignore";
  /** Fire the cron trigger every minute, as Cloudflare does (wrangler dev does not on its own). */
  cron?: boolean;
  /**
   * false: no DevTools inspector. With it, wrangler enables the runtime's Network domain and relays
   * every event of every outbound fetch to its node process, which writes each to its debug log:
   * several milliseconds of CPU per subrequest that a deployed Worker never spends (the bench
   * turns it off). Wrangler has no flag for this; the variable it reads for VS Code's debug
   * terminal is the switch.
   */
  devtools?: boolean;
}

export interface Wrangler {
  url: string;
  /** The wrangler process; workerd runs below it. */
  pid: number;
  /** Resolves with wrangler's exit code if it stops on its own. */
  exited: Promise<number>;
  stop(): Promise<void>;
}

/** `wrangler dev` on loopback with the given variables; resolves once /health/live answers. */
export async function startWrangler(options: WranglerOptions): Promise<Wrangler> {
  await assertPortFree(options.port, "wrangler dev", "PORT");
  const args = [wranglerBin(), "dev", "--ip", "127.0.0.1", "--port", String(options.port)];
  args.push("--persist-to", join(options.dataDir, "wrangler"), "--show-interactive-dev-session=false");
  // Variables and secrets go in a file only this user can read (wrangler's `--env-file`), not on the
  // command line, where any local user could read them with `ps`.
  mkdirSync(options.dataDir, { recursive: true });
  args.push("--env-file", writeEnvFile(join(options.dataDir, "wrangler.env"), options.vars));
  if (options.cron) args.push("--test-scheduled");
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", options.output, options.output],
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      ...(options.devtools === false ? { VSCODE_INSPECTOR_OPTIONS: "{}" } : {}),
    },
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  let ticker: ReturnType<typeof setInterval> | undefined;
  const stop = async () => {
    clearInterval(ticker);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    const forced = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(forced);
  };
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForLive(url, child);
  } catch (error) {
    await stop();
    throw error;
  }
  if (options.cron) {
    // The cron relay publishes what the requests' own publishing left (see src/jobs/scheduled.ts).
    ticker = setInterval(() => {
      fetch(`${url}/__scheduled?cron=*+*+*+*+*`).then(
        (response) => response.body?.cancel(),
        () => undefined,
      );
    }, 60_000);
    ticker.unref();
  }
  return { url, pid: child.pid ?? 0, exited, stop };
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await assertPortFree(options.port, "wrangler dev", "PORT");
  const stack = await startStack({ ...options, persistent: true });
  let wrangler: Wrangler | undefined;
  const stop = async () => {
    await wrangler?.stop();
    await stack.stop();
  };
  try {
    const credentialsFile = join(options.dataDir, "dev-credentials.json");
    const remembered = existsSync(credentialsFile)
      ? (JSON.parse(readFileSync(credentialsFile, "utf8")) as { apiKey?: string }).apiKey
      : undefined;
    const credentials = await ensureDevTenant(stack.databaseUrl, options.tenantSlug, remembered);
    writeFileSync(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    const secrets = await localSecrets(join(options.dataDir, "secrets.json"));
    const accessToken = await mintToken(secrets, { ...credentials, roles: ["admin"] });
    const vars = { ENVIRONMENT: "development", ...secrets, ...stack.bindings, ...options.vars };
    wrangler = await startWrangler({
      dataDir: options.dataDir,
      port: options.port,
      vars,
      output: options.wranglerOutput,
      cron: true,
      devtools: options.devtools,
    });
    const { url, pid, exited } = wrangler;
    const forget = recordRunning(options.dataDir, { pid: process.pid, url, databaseUrl: stack.databaseUrl });
    const stopAll = async () => {
      forget();
      await stop();
    };
    return { url, pid, stack, credentials, accessToken, vars, exited, stop: stopAll };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A dotenv file of `vars` (mode 0600); single-quoted values are taken literally by its parser. */
export function writeEnvFile(path: string, vars: Record<string, string>): string {
  const lines = Object.entries(vars).map(([name, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`not an environment variable name: ${name}`);
    if (/['\n\r]/.test(value))
      throw new Error(`${name}: a value with a quote or a line break cannot go in the env file`);
    return `${name}='${value}'`;
  });
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // also when the file was already there
  return path;
}
