// A local Neon SQL-over-HTTP endpoint: the protocol of @neondatabase/serverless' neon() (and so of
// drizzle-orm/neon-http), served over warm pg pools, so the HTTP path runs unchanged locally.
//   POST /sql  {query, params}               → {command, rowCount, rows, fields, rowAsArray: true}
//   POST /sql  {queries: [{query, params}…]}  → {results: […]}, all in one transaction
// Headers: Neon-Connection-String (the database, which must be allowed), Neon-Raw-Text-Output and
// Neon-Array-Mode (both "true": the only mode served, the one the driver asks for), and for a batch
// Neon-Batch-Isolation-Level / -Read-Only / -Deferrable. A PostgreSQL error answers 400 with its
// fields (the driver's NeonDbError); a database that cannot be reached answers 500, as Neon does.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";
import { checkRttMs, waitUntil } from "./distance";

export interface NeonHttpStats {
  /** HTTP requests to POST /sql: the round trips clients made. */
  requests: number;
  /** Requests that ran one statement. */
  queries: number;
  /** Requests that ran a batch transaction. */
  batches: number;
}

export interface NeonHttp {
  /** http://host:port/sql, the value for neonConfig.fetchEndpoint (DATABASE_HTTP_ENDPOINT). */
  url: string;
  stats(): NeonHttpStats;
  /** The simulated distance for requests that arrive from now on. */
  setRttMs(ms: number): void;
  close(): Promise<void>;
}

export interface NeonHttpOptions {
  port: number;
  host?: string;
  /** host:port of the databases it may reach, so this is never an open relay. */
  allow: string[];
  /** Every request waits this long before it runs: one round trip to a distant database. */
  rttMs?: number;
}

interface Statement {
  query: string;
  params: (string | null)[];
}

/** An answer other than 200, with a JSON body {message, …fields}. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

const ISOLATION_LEVELS = new Map([
  ["ReadUncommitted", "READ UNCOMMITTED"],
  ["ReadCommitted", "READ COMMITTED"],
  ["RepeatableRead", "REPEATABLE READ"],
  ["Serializable", "SERIALIZABLE"],
]);

// The fields the driver copies from a 400 answer onto its NeonDbError (its list `hi`).
const ERROR_FIELDS = (
  "severity code detail hint position internalPosition internalQuery where schema table column " +
  "dataType constraint file line routine"
).split(" ") as (keyof InstanceType<typeof pg.DatabaseError> & string)[];

// Every value stays PostgreSQL's text: the driver parses it with the parsers its caller chose.
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function databaseError(error: InstanceType<typeof pg.DatabaseError>): HttpError {
  const fields: Record<string, string> = {};
  for (const name of ERROR_FIELDS) {
    const value = error[name];
    if (typeof value === "string") fields[name] = value;
  }
  return new HttpError(400, error.message, fields);
}

/** The target database's host:port; refuses what is not a PostgreSQL URL of an allowed address. */
function targetOf(connectionString: string, allowed: Set<string>): string {
  if (!connectionString) throw new HttpError(400, "missing Neon-Connection-String header");
  let url: URL;
  try {
    // As the driver does: parsed as http so that host and port are read the same for any scheme.
    const scheme = new URL(connectionString).protocol;
    if (scheme !== "postgres:" && scheme !== "postgresql:") throw new Error(scheme);
    url = new URL(`http:${connectionString.slice(scheme.length)}`);
  } catch {
    throw new HttpError(400, "Neon-Connection-String is not a postgresql:// URL");
  }
  const address = `${url.hostname}:${url.port || "5432"}`;
  if (!allowed.has(address)) throw new HttpError(403, `database ${address} is not served by this endpoint`);
  return address;
}

/** BEGIN with the transaction mode the batch headers ask for. */
function beginOf(req: IncomingMessage): string {
  const parts = ["BEGIN"];
  const level = header(req, "neon-batch-isolation-level");
  if (level !== undefined) {
    const sql = ISOLATION_LEVELS.get(level);
    if (!sql) throw new HttpError(400, "invalid isolation level");
    parts.push(`ISOLATION LEVEL ${sql}`);
  }
  // As Neon reads them: anything but exactly "true" is false.
  if (header(req, "neon-batch-read-only") === "true") parts.push("READ ONLY");
  if (header(req, "neon-batch-deferrable") === "true") parts.push("DEFERRABLE");
  return parts.join(" ");
}

// Neon turns JSON parameters into PostgreSQL text; the driver already sends strings and null.
function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function toStatement(value: unknown): Statement {
  const { query, params = [], arrayMode } = (value ?? {}) as Record<string, unknown>;
  if (typeof query !== "string") throw new HttpError(400, "each query needs a string `query`");
  if (!Array.isArray(params)) throw new HttpError(400, "`params` must be an array");
  if (arrayMode === false) throw new HttpError(400, "only array mode is served here");
  return { query, params: params.map(toText) };
}

function toStatements(body: unknown): Statement | Statement[] {
  const queries = (body as { queries?: unknown } | null)?.queries;
  if (queries === undefined) return toStatement(body);
  if (!Array.isArray(queries)) throw new HttpError(400, "`queries` must be an array");
  return queries.map(toStatement);
}

function run(client: pg.PoolClient, statement: Statement) {
  // Extended protocol, as Neon's proxy uses: several statements in one query fail there, so here too.
  const config: pg.QueryArrayConfig & { queryMode: "extended" } = {
    text: statement.query,
    values: statement.params,
    rowMode: "array",
    types: RAW_TEXT,
    queryMode: "extended",
  };
  return client.query(config).then((result) => ({
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields,
    rowAsArray: true,
  }));
}

export async function startNeonHttp(options: NeonHttpOptions): Promise<NeonHttp> {
  const host = options.host ?? "127.0.0.1";
  const allowed = new Set(options.allow);
  let rttMs = checkRttMs(options.rttMs ?? 0);
  const stats: NeonHttpStats = { requests: 0, queries: 0, batches: 0 };
  // One warm pool per database, as Neon's pooler keeps: no connection is opened per request.
  const pools = new Map<string, pg.Pool>();

  const poolFor = (connectionString: string) => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: 20, idleTimeoutMillis: 0, connectionTimeoutMillis: 5_000 });
      // A database that stops fails the idle clients; the pool drops them and connects anew when it
      // is back. Unheard, their error would end this process.
      pool.on("error", () => undefined);
      // The same for a client that breaks while checked out: its next query fails instead.
      pool.on("connect", (client) => client.on("error", () => undefined));
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const withClient = async <T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      // Wrong credentials or database name are the caller's mistake (400); anything else is ours.
      if (error instanceof pg.DatabaseError && /^(28|3D)/.test(error.code ?? "")) throw databaseError(error);
      throw new HttpError(500, `cannot reach the database: ${(error as Error).message}`);
    }
    let reusable = false;
    try {
      const result = await work(client);
      reusable = true;
      return result;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      // Neon answers a connection lost mid-query (no SQLSTATE) as a query error too: 400.
      if (!(error instanceof pg.DatabaseError)) throw new HttpError(400, (error as Error).message);
      reusable = true;
      throw databaseError(error);
    } finally {
      // As Neon's pooler: only an idle connection goes back, so a lone BEGIN leaks into no other
      // request; a broken one is dropped.
      client.release(reusable && client.getTransactionStatus() === "I" ? undefined : true);
    }
  };

  const batch = async (client: pg.PoolClient, begin: string, statements: Statement[]) => {
    await client.query(begin);
    try {
      const results = [];
      for (const statement of statements) results.push(await run(client, statement));
      await client.query("COMMIT");
      return { results };
    } catch (error) {
      // A failed ROLLBACK leaves the client in a transaction, and withClient then drops it.
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The simulated distance: every answer, refusals included, costs one round trip.
    await waitUntil(performance.now() + rttMs);
    const path = new URL(req.url ?? "/", "http://neon").pathname;
    if (path !== "/sql") return send(res, 404, { message: "Not found" });
    if (req.method !== "POST") return send(res, 405, { message: "Only POST is served" });
    stats.requests++;
    const body = await readJson(req);
    const connectionString = header(req, "neon-connection-string") ?? "";
    targetOf(connectionString, allowed);
    if (header(req, "neon-raw-text-output") !== "true" || header(req, "neon-array-mode") !== "true")
      throw new HttpError(400, "only Neon-Raw-Text-Output: true with Neon-Array-Mode: true is served here");
    const statements = toStatements(body);
    const pool = poolFor(connectionString);
    if (Array.isArray(statements)) {
      const begin = beginOf(req);
      stats.batches++;
      return send(res, 200, await withClient(pool, (client) => batch(client, begin, statements)));
    }
    stats.queries++;
    return send(res, 200, await withClient(pool, (client) => run(client, statements)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof HttpError) send(res, error.status, { message: error.message, ...error.fields });
      else send(res, 500, { message: `Neon HTTP endpoint failure: ${(error as Error).message}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  return {
    url: `http://${host}:${port}/sql`,
    stats: () => ({ ...stats }),
    setRttMs: (ms) => {
      rttMs = checkRttMs(ms);
    },
    close: async () => {
      // Clients keep connections alive; without this, close() waits for them to idle out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
