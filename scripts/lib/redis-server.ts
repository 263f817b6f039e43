// A throwaway redis-server (Debian's package, found on PATH) for the local stack and the tests:
// loopback only, no persistence, stopped by whoever started it.
import { spawn, spawnSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { setTimeout as delay } from "node:timers/promises";

// See upstash-bridge.ts: required, not imported, for the Workers test project's global setup.
const { Redis } = createRequire(import.meta.url)("ioredis") as typeof import("ioredis");

export interface LocalRedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  port: number;
  /** Working directory of the server; nothing is written there unless someone sends SAVE. */
  dataDir?: string;
}

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

export async function startRedisServer(options: RedisServerOptions): Promise<LocalRedisServer> {
  const { port } = options;
  // Without --dir redis-server works in the caller's directory, where a stray SAVE would drop dump.rdb.
  const dir = options.dataDir ?? tmpdir();
  await mkdir(dir, { recursive: true });
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  args.push("--dir", dir, "--daemonize", "no", "--loglevel", "warning");
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });

  // Last lines of the server's output, to explain a failed start (busy port, bad option, …).
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-2000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);

  let spawnError: NodeJS.ErrnoException | undefined;
  // Created now, so that stop() can await it even when the exit happened long before.
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
      resolve();
    });
  });
  const running = () => !spawnError && child.exitCode === null && child.signalCode === null;

  // A test runner or dev script that dies without calling stop() must not leave a server behind.
  const killOnExit = () => {
    if (running()) child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (!running()) return;
    child.kill("SIGTERM");
    // Unref'd: a server that exits at once must not keep the caller alive for the grace period.
    await Promise.race([exited, delay(STOP_GRACE_MS, undefined, { ref: false })]);
    if (running()) {
      child.kill("SIGKILL");
      await exited;
    }
  };

  const failedStart = exited.then(() => {
    if (spawnError?.code === "ENOENT")
      throw new Error(
        "redis-server was not found on PATH. Install it (Debian/Ubuntu: apt-get install -y redis-server).",
      );
    if (spawnError) throw new Error(`Could not start redis-server: ${spawnError.message}`);
    throw new Error(
      `redis-server exited (code ${child.exitCode ?? child.signalCode}) before answering PING on port ${port}:\n${output.trim()}`,
    );
  });
  try {
    await Promise.race([failedStart, waitForPing(port, running)]);
  } catch (error) {
    await stop();
    throw error;
  }
  // Once started, a later exit is reported by failing commands, not by this promise.
  failedStart.catch(() => {});
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

async function waitForPing(port: number, running: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (running() && Date.now() < deadline) {
    const client = new Redis({
      host: "127.0.0.1",
      port,
      protocol: 2,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => null,
    });
    // Refused connections are expected while the server starts; they surface through connect().
    client.on("error", () => {});
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch (error) {
      lastError = error;
    } finally {
      client.disconnect();
    }
    await delay(50);
  }
  // When the process died, the exit branch of the race reports it with the server's output.
  if (!running()) return new Promise<never>(() => {});
  throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms`, {
    cause: lastError,
  });
}

/**
 * Makes sure `redis-server` is on PATH: on a fresh Debian machine, as root, it installs Debian's
 * package (what .ci/run does too); otherwise it says what to run. Nothing is skipped silently.
 */
export function ensureRedisServer(log: (message: string) => void = () => undefined): void {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  if (found.status === 0) return;
  const canInstall = process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!canInstall) {
    throw new Error(
      "redis-server is needed by the tests: install it (Debian/Ubuntu: apt-get install -y redis-server).",
    );
  }
  log("redis-server is missing: installing Debian's package (apt-get install -y redis-server)");
  const install = spawnSync(
    "sh",
    ["-c", "apt-get update -qq && apt-get install -y -qq redis-server >/dev/null"],
    {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    },
  );
  if (install.status !== 0)
    throw new Error("installing redis-server failed; install it by hand and run again");
  // The package starts a system service; the tests start their own servers.
  spawnSync("sh", ["-c", "service redis-server stop >/dev/null 2>&1 || true"]);
}
