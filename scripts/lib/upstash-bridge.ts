// A local Upstash Redis: the Upstash REST protocol, as @upstash/redis and @upstash/ratelimit speak
// it, served over a real redis-server, so that both libraries run unchanged in tests and local dev.
//   POST /             ["SET", "k", "v"]          → {"result": …} | 400 {"error": …}
//   POST /pipeline     [["SET", …], ["GET", …]]   → [{"result": …} | {"error": …}, …] in order
//   POST /multi-exec   same body, run as MULTI … EXEC on a connection of its own
// `Authorization: Bearer <token>` is required; `Upstash-Encoding: base64` base64-encodes every string
// in the result (numbers and null stay as they are), as the client decodes by default.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";

// Loaded through require: the Workers test project resolves imports with worker conditions,
// under which ioredis' ESM entry gives undefined classes to a global setup running in Node.
const { Command, Redis } = createRequire(import.meta.url)("ioredis") as typeof import("ioredis");
type Redis = import("ioredis").Redis;

export interface UpstashBridge {
  url: string;
  token: string;
  /** HTTP requests and Redis commands served so far: how well clients batch. */
  stats(): { requests: number; commands: number };
  close(): Promise<void>;
}

export interface UpstashBridgeOptions {
  port: number;
  /** redis://host:port of the redis-server behind the bridge. */
  redisUrl: string;
  token: string;
  host?: string;
}

/** What Redis answers, as ioredis decodes RESP2 without reply transformers. */
type Reply = Buffer | string | number | null | Error | Reply[];
type Json = string | number | null | Json[];
type Outcome = { result: Json } | { error: string };

/** A command the bridge refuses before Redis sees it; reported like a Redis error. */
class CommandError extends Error {}

/** The bridge cannot reach Redis: the whole request fails with 503, not one command. */
class UnavailableError extends Error {}

/**
 * ioredis reshapes some replies (HGETALL into an object, ZRANGE WITHSCORES into pairs); Upstash
 * returns what Redis returns, so replies stay raw: Buffers for bulk strings, numbers, null, arrays.
 */
class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

// They change the state of the connection that all requests share, or never give it back.
const REFUSED = new Set(
  "multi exec discard watch unwatch select swapdb quit reset hello auth client monitor sync psync subscribe psubscribe ssubscribe unsubscribe punsubscribe sunsubscribe".split(
    " ",
  ),
);

// Upstash accepts script flags Redis does not know (@upstash/ratelimit's scripts begin with
// `#!lua flags=allow-key-locking`); redis-server 7 refuses the whole script, so they are dropped.
const REDIS_SCRIPT_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

function portableScript(script: string): string {
  const shebang = /^#![^\n]*/.exec(script)?.[0];
  if (!shebang) return script;
  const words = shebang.split(" ").flatMap((word) => {
    if (!word.startsWith("flags=")) return [word];
    const flags = word
      .slice("flags=".length)
      .split(",")
      .filter((flag) => REDIS_SCRIPT_FLAGS.has(flag));
    return flags.length > 0 ? [`flags=${flags.join(",")}`] : [];
  });
  return words.join(" ") + script.slice(shebang.length);
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

function isReplyError(error: unknown): error is Error {
  // ioredis exports ReplyError typed as `any`; its reply errors all carry this name.
  return error instanceof Error && error.name === "ReplyError";
}

function unavailable(error: unknown): UnavailableError {
  return new UnavailableError(`ERR Redis is unavailable: ${(error as Error).message}`, { cause: error });
}

function toArgs(command: unknown): string[] {
  if (!Array.isArray(command) || command.length === 0 || typeof command[0] !== "string")
    throw new CommandError("ERR command must be a non-empty JSON array starting with the command name");
  return command.map((arg) => {
    // The client sends strings and numbers, and booleans as they are (its serializer keeps them).
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new CommandError(`ERR unsupported argument ${JSON.stringify(arg)}`);
  });
}

function encode(reply: Reply, base64: boolean): Json {
  if (reply === null || typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((item) => encode(item, base64));
  // An error nested in a script's reply fails the command that returned it.
  if (reply instanceof Error) throw new CommandError(reply.message);
  const bytes = typeof reply === "string" ? Buffer.from(reply, "utf8") : reply;
  return base64 ? bytes.toString("base64") : bytes.toString("utf8");
}

export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridge> {
  const host = options.host ?? "127.0.0.1";
  const redisOptions = {
    // ioredis 6 speaks RESP3 by default; Upstash's replies have RESP2's shapes.
    protocol: 2,
    lazyConnect: true,
    // While Redis is unreachable, requests fail at once instead of queueing until it returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A hung server must answer the HTTP request with an error, not leave it open.
    commandTimeout: 10_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
  } as const;
  const redis = new Redis(options.redisUrl, redisOptions);
  // Connection failures reach the caller through the failing command; this only keeps ioredis quiet.
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Upstash bridge: cannot reach Redis at ${options.redisUrl}`, { cause: error });
  }

  // The client computes EVALSHA hashes from the script it holds; Redis knows the portable one.
  const portableSha = new Map<string, string>();
  const remember = (script: string) => {
    const portable = portableScript(script);
    if (portable !== script) portableSha.set(sha1(script), sha1(portable));
    return portable;
  };
  const translateSha = (sha: string) => portableSha.get(sha.toLowerCase()) ?? sha;

  interface Prepared {
    name: string;
    args: string[];
    /** Turns Redis' reply into Upstash's (only SCRIPT LOAD needs it). */
    finish: (reply: Reply) => Reply;
  }

  /** Checks a command and rewrites what Redis would refuse or answer differently; throws CommandError. */
  const prepare = (command: unknown): Prepared => {
    const [name = "", ...args] = toArgs(command);
    const lower = name.toLowerCase();
    if (REFUSED.has(lower))
      throw new CommandError(`ERR command not supported by the Upstash bridge: ${name}`);
    let finish = (reply: Reply) => reply;
    const [first, second] = args;
    if ((lower === "eval" || lower === "eval_ro") && first !== undefined) args[0] = remember(first);
    if ((lower === "evalsha" || lower === "evalsha_ro") && first !== undefined) args[0] = translateSha(first);
    if (lower === "script" && first?.toLowerCase() === "load" && second !== undefined) {
      args[1] = remember(second);
      // Answer the hash of the script the caller sent: the one it will pass to EVALSHA.
      finish = (reply) => (reply instanceof Error ? reply : sha1(second));
    }
    if (lower === "script" && first?.toLowerCase() === "exists")
      for (let i = 1; i < args.length; i++) args[i] = translateSha(args[i] ?? "");
    return { name, args, finish };
  };

  /**
   * Writes the command at once, so that a batch keeps its order on the connection. Settles with
   * Redis' reply, a Redis error as a value, or rejects with UnavailableError.
   */
  const dispatch = (connection: Redis, name: string, args: string[]): Promise<Reply> => {
    const command = new RawCommand(name, args);
    connection.sendCommand(command);
    return (command.promise as Promise<Reply>).catch((error: unknown) => {
      if (isReplyError(error)) return error;
      throw unavailable(error);
    });
  };

  /** One command of `/` or `/pipeline`: a refusal becomes its error instead of failing the request. */
  const run = async (command: unknown, base64: boolean): Promise<Outcome> => {
    let prepared: Prepared;
    try {
      prepared = prepare(command);
    } catch (error) {
      if (error instanceof CommandError) return { error: error.message };
      throw error;
    }
    return outcome(prepared.finish(await dispatch(redis, prepared.name, prepared.args)), base64);
  };

  const outcome = (reply: Reply, base64: boolean): Outcome => {
    if (reply instanceof Error) return { error: reply.message };
    try {
      return { result: encode(reply, base64) };
    } catch (error) {
      if (error instanceof CommandError) return { error: error.message };
      throw error;
    }
  };

  const transaction = async (commands: unknown[], base64: boolean): Promise<Outcome[]> => {
    // All checked before MULTI: a refusal afterwards could no longer stop the others from running.
    const prepared = commands.map(prepare);
    // MULTI on the shared connection would swallow other requests' commands into this transaction.
    const own = redis.duplicate({ retryStrategy: () => null });
    own.on("error", () => {});
    try {
      await own.connect().catch((error: unknown) => {
        throw unavailable(error);
      });
      // One Promise.all over every reply, so that none is left rejecting unobserved.
      const [, ...queued] = await Promise.all([
        dispatch(own, "MULTI", []),
        ...prepared.map(({ name, args }) => dispatch(own, name, args)),
        dispatch(own, "EXEC", []),
      ]);
      const replies = queued.pop();
      // Redis refuses a bad command when queueing it, and then discards the whole transaction.
      const queueError = queued.find((reply) => reply instanceof Error);
      if (replies instanceof Error)
        throw new CommandError(queueError ? `${replies.message} ${queueError.message}` : replies.message);
      if (!Array.isArray(replies)) throw unavailable(new Error("EXEC answered no replies"));
      return replies.map((reply, i) => outcome(prepared[i]?.finish(reply) ?? reply, base64));
    } finally {
      own.disconnect();
    }
  };

  const stats = { requests: 0, commands: 0 };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req.headers.authorization, options.token))
      return send(res, 401, { error: "Unauthorized" });
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    if (path !== "/" && path !== "/pipeline" && path !== "/multi-exec")
      return send(res, 404, { error: "Not found" });
    if (req.method !== "POST") return send(res, 405, { error: "Only POST is served" });
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (error) {
      return send(res, 400, { error: `ERR ${(error as Error).message}` });
    }
    stats.requests++;
    stats.commands += path === "/" || !Array.isArray(body) ? 1 : body.length;
    try {
      if (path === "/") {
        const result = await run(body, base64);
        return send(res, "error" in result ? 400 : 200, result);
      }
      if (!Array.isArray(body) || body.length === 0)
        return send(res, 400, { error: "ERR body must be a non-empty JSON array of commands" });
      if (path === "/pipeline") {
        // run() writes its command before its first await: the pipeline reaches Redis in order.
        return send(res, 200, await Promise.all(body.map((command) => run(command, base64))));
      }
      return send(res, 200, await transaction(body, base64));
    } catch (error) {
      if (error instanceof CommandError) return send(res, 400, { error: error.message });
      if (error instanceof UnavailableError) return send(res, 503, { error: error.message });
      throw error;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: `ERR bridge failure: ${(error as Error).message}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  }).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  return {
    url: `http://${host}:${port}`,
    token: options.token,
    stats: () => ({ ...stats }),
    close: async () => {
      // The client keeps connections alive; without this, close() waits for them to idle out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? "");
  if (!match?.[1]) return false;
  // Hashing first gives equal lengths, which timingSafeEqual needs.
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new Error("request body is not valid JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
