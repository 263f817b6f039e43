import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./ports";
import { ensureRedisServer, startRedisServer } from "./redis-server";
import { startUpstashBridge } from "./upstash-bridge";

const TOKEN = "bridge-test-token";

// A fresh machine has no redis-server: install it (as root, from Debian) rather than skip.
ensureRedisServer();

async function startStack() {
  const server = await startRedisServer({ port: await freePort() });
  const bridge = await startUpstashBridge({ port: await freePort(), redisUrl: server.url, token: TOKEN });
  return { server, bridge };
}

/**
 * A window that rolls over mid-test changes what the limiters allow (the sliding window weighs the
 * previous one, the fixed one starts afresh); start the assertions with at least 2 s left.
 */
async function awaitFreshWindow(windowMs: number) {
  const left = windowMs - (Date.now() % windowMs);
  if (left < 2_000) await new Promise((resolve) => setTimeout(resolve, left + 10));
}

let unique = 0;
const id = (name: string) => `${name}:${process.pid}:${Date.now()}:${unique++}`;

describe("Upstash bridge over redis-server, with the real @upstash clients", async () => {
  const { server, bridge } = await startStack();
  const redis = new Redis({ url: bridge.url, token: TOKEN });
  // Straight to redis-server, to see what the bridge did there.
  const direct = new IORedis(server.url, { protocol: 2 });
  afterAll(async () => {
    direct.disconnect();
    await bridge.close();
    await server.stop();
  });

  it("sets, gets and increments", async () => {
    const key = id("string");
    expect(await redis.set(key, "héllo ✓")).toBe("OK");
    expect(await redis.get(key)).toBe("héllo ✓");
    expect(await redis.incr(id("counter"))).toBe(1);
    expect(await redis.get(id("missing"))).toBeNull();
    // Seen by Redis itself, not only through the bridge.
    expect(await direct.get(key)).toBe("héllo ✓");
  });

  it("returns HGETALL as Upstash does, which the client turns into an object", async () => {
    const key = id("hash");
    expect(await redis.hset(key, { name: "foo", count: 3 })).toBe(2);
    expect(await redis.hgetall(key)).toEqual({ name: "foo", count: 3 });
    expect(await redis.hgetall(id("no-hash"))).toBeNull();
  });

  it("base64-encodes strings inside arrays too (an `OK` value included)", async () => {
    const [a, b] = [id("a"), id("b")];
    await redis.set(a, "OK");
    await redis.set(b, "ünï");
    expect(await redis.mget(a, b, id("none"))).toEqual(["OK", "ünï", null]);
  });

  it("answers plain JSON to a client that asks for no encoding", async () => {
    const plain = new Redis({ url: bridge.url, token: TOKEN, responseEncoding: false });
    const key = id("plain");
    await plain.set(key, "ünï");
    expect(await plain.get(key)).toBe("ünï");
  });

  it("runs a pipeline in order, with per-command errors", async () => {
    const key = id("pipe");
    const results = await redis
      .pipeline()
      .set(key, 1)
      .incr(key)
      .hset(`${key}:h`, { a: "x" })
      .hgetall(`${key}:h`)
      .get(key)
      .exec();
    expect(results).toEqual(["OK", 2, 1, { a: "x" }, 2]);
    await expect(redis.pipeline().set(key, "text").incr(key).exec()).rejects.toThrow(
      /Command 2 \[ incr \] failed: ERR value is not an integer/,
    );
  });

  it("counts the HTTP requests and the commands it served", async () => {
    const before = bridge.stats();
    const key = id("stats");
    await redis.pipeline().set(key, 1).incr(key).get(key).exec();
    await redis.get(key);
    expect(bridge.stats()).toEqual({ requests: before.requests + 2, commands: before.commands + 4 });
  });

  it("runs a multi-exec transaction on one connection", async () => {
    const key = id("tx");
    expect(await redis.multi().set(key, 10).incrby(key, 5).get(key).exec()).toEqual(["OK", 15, 15]);
    // A command failing at run time fails alone; the others ran, as in Redis.
    await expect(redis.multi().set(key, "text").incr(key).exec()).rejects.toThrow(/Command 2 \[ incr \]/);
    expect(await redis.get(key)).toBe("text");
  });

  it("discards a whole transaction when Redis refuses a command while queueing it", async () => {
    const key = id("tx-abort");
    const response = await fetch(`${bridge.url}/multi-exec`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([["SET", key, "1"], ["NO-SUCH-COMMAND"]]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^EXECABORT/);
    expect(await redis.get(key)).toBeNull();
  });

  it("passes EVAL and EVALSHA through with keys and args", async () => {
    const key = id("eval");
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1], 42}";
    expect(await redis.eval(script, [key], ["v"])).toEqual([key, "v", 42]);
    expect(await redis.get(key)).toBe("v");
    const sha = await redis.scriptLoad(script);
    expect(await redis.evalsha(sha, [key], ["w"])).toEqual([key, "w", 42]);
    await expect(redis.evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("surfaces a command error as a thrown error, on / and in the auto-pipeline", async () => {
    const key = id("wrongtype");
    await redis.set(key, "text");
    // LRANGE skips the auto-pipeline: a single POST / answered 400.
    await expect(redis.lrange(key, 0, -1)).rejects.toThrow(/WRONGTYPE/);
    await expect(redis.incr(key)).rejects.toThrow(/ERR value is not an integer/);
  });

  it("answers the Upstash protocol on the wire: 400 for a command error, 401 without the token", async () => {
    const post = (body: unknown, headers: Record<string, string>) =>
      fetch(bridge.url, { method: "POST", headers, body: JSON.stringify(body) });
    const failed = await post(["NO-SUCH-COMMAND"], { authorization: `Bearer ${TOKEN}` });
    expect(failed.status).toBe(400);
    expect(await failed.json()).toEqual({ error: expect.stringMatching(/^ERR unknown command/) });
    const anonymous = await post(["PING"], {});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: "Unauthorized" });
  });

  it("refuses a wrong token", async () => {
    const intruder = new Redis({ url: bridge.url, token: "wrong" });
    await expect(intruder.get(id("any"))).rejects.toThrow(/Unauthorized/);
  });

  for (const [name, limiter] of [
    ["slidingWindow", Ratelimit.slidingWindow(5, "10 s")],
    ["fixedWindow", Ratelimit.fixedWindow(5, "10 s")],
  ] as const) {
    describe(`@upstash/ratelimit ${name}(5, "10 s")`, () => {
      // No in-memory cache and no analytics: every call is a round trip through the bridge.
      const ratelimit = new Ratelimit({
        redis,
        limiter,
        ephemeralCache: false,
        analytics: false,
        prefix: id(`rl-${name}`),
      });

      it("allows exactly 5, then refuses, with limit, remaining and reset", async () => {
        await awaitFreshWindow(10_000);
        const reset = (Math.floor(Date.now() / 10_000) + 1) * 10_000;
        const user = id("user");
        const results = [];
        for (let i = 0; i < 7; i++) results.push(await ratelimit.limit(user));
        expect(results.map((r) => [r.success, r.limit, r.remaining, r.reset, r.reason])).toEqual([
          [true, 5, 4, reset, undefined],
          [true, 5, 3, reset, undefined],
          [true, 5, 2, reset, undefined],
          [true, 5, 1, reset, undefined],
          [true, 5, 0, reset, undefined],
          [false, 5, 0, reset, undefined],
          [false, 5, 0, reset, undefined],
        ]);
        expect((await ratelimit.getRemaining(user)).remaining).toBe(0);
      });

      it("lets exactly 5 of 20 concurrent calls through", async () => {
        await awaitFreshWindow(10_000);
        const user = id("burst");
        const results = await Promise.all(Array.from({ length: 20 }, () => ratelimit.limit(user)));
        // A timed-out call reports success with reason "timeout": none may have happened.
        expect(results.filter((r) => r.reason !== undefined)).toEqual([]);
        expect(results.filter((r) => r.success)).toHaveLength(5);
        expect(results.map((r) => r.remaining).sort()).toEqual([...Array(16).fill(0), 1, 2, 3, 4]);
      });
    });
  }

  it("runs the ratelimit scripts by EVALSHA once Redis has them (one EVAL per script)", async () => {
    // The scripts carry a flag Redis refuses, so the bridge stores a rewritten copy under another hash.
    await direct.script("FLUSH");
    await direct.config("RESETSTAT");
    const ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(100, "10 s"),
      ephemeralCache: false,
      analytics: false,
      prefix: id("rl-sha"),
    });
    for (let i = 0; i < 3; i++) expect((await ratelimit.limit("someone")).success).toBe(true);
    const stats = String(await direct.info("commandstats"));
    const calls = (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    expect(calls("eval")).toBe(1);
    expect(calls("evalsha")).toBeGreaterThanOrEqual(2);
  });
});

describe("when redis-server goes away", () => {
  it("makes client calls fail promptly instead of hanging", async () => {
    const { server, bridge } = await startStack();
    try {
      const redis = new Redis({ url: bridge.url, token: TOKEN });
      const ratelimit = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(5, "10 s"),
        ephemeralCache: false,
        analytics: false,
      });
      expect(await redis.set("alive", "yes")).toBe("OK");
      await server.stop();
      const started = Date.now();
      await expect(redis.get("alive")).rejects.toThrow(/Redis is unavailable/);
      await expect(redis.hgetall("anything")).rejects.toThrow(/Redis is unavailable/);
      await expect(redis.multi().get("alive").exec()).rejects.toThrow(/Redis is unavailable/);
      await expect(ratelimit.limit("someone")).rejects.toThrow(/Redis is unavailable/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await bridge.close();
      await server.stop();
    }
  });

  it("stop() returns at once when the server already exited on its own", async () => {
    const server = await startRedisServer({ port: await freePort() });
    const client = new IORedis(server.url, { protocol: 2, retryStrategy: () => null });
    client.on("error", () => {});
    await client.call("SHUTDOWN", "NOSAVE").catch(() => {});
    client.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await server.stop();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("says how to install redis-server when it is missing", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(startRedisServer({ port: await freePort() })).rejects.toThrow(
        /apt-get install -y redis-server/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
