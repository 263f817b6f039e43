// `npm run bench`: load on the local stack (wrangler dev, embedded PostgreSQL), every scenario
// reported as a ratio to a no-op route measured in the same run, since this machine is shared
// and noisy. Loopback only; each scenario is bounded in time.
// Scenarios run in rounds (A B C … A B C …) and each figure is the median over the rounds, so
// that a slow moment of the machine does not land on one scenario only. wrangler dev runs without
// its DevTools inspector, whose per-subrequest relaying a deployed Worker does not pay; besides
// throughput, the Worker's own CPU per request (wrangler + workerd processes) is reported. The
// rate-limit step is measured in pairs too: the same request with and without it, at once.
//   npm run bench -- [--duration 6] [--rounds 3] [--connections 8] [--only auth,…]
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { eq } from "drizzle-orm";
import { ulid } from "ulidx";
import { tenants } from "../src/db/schema";
import { verifyAccessToken } from "../src/infra/jwt";
import { withDatabase } from "./lib/database";
import { startDevServer, startWrangler } from "./lib/dev-server";
import { freePort } from "./lib/ports";
import { ensureRedisServer, startRedisServer } from "./lib/redis-server";
import { localSecrets, mintToken, signingConfig } from "./lib/secrets";
import { startUpstashBridge } from "./lib/upstash-bridge";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "6" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "8" },
    only: { type: "string" },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

interface BenchContext {
  url: string;
  apiKey: string;
  token: string;
  receiverId: string;
  groupedReceiverId: string;
}

/** Which Worker a scenario loads: the default (TenantGate limiter), rate limits off, or on Redis. */
type Target = "main" | "off" | "redis";

interface Scenario {
  name: string;
  what: string;
  target?: Target;
  request: (server: BenchContext) => {
    path: string;
    method?: "GET" | "POST";
    headers?: Record<string, string>;
    body?: string;
  };
}

const scenarios: Scenario[] = [
  {
    name: "noop",
    what: "GET /health/live: the pipeline, no authentication (baseline)",
    request: () => ({ path: "/health/live" }),
  },
  {
    name: "auth-jwt",
    what: "Bearer token: verify (cached key) + TenantGate status + permission, refused by validation before any database work",
    request: ({ token }) => ({
      path: "/api/v1/api-keys?page_size=0",
      headers: { authorization: `Bearer ${token}` },
    }),
  },
  {
    name: "auth-jwt-nolimit",
    what: "auth-jwt with RATE_LIMITS=off: the same request without the rate-limit step",
    target: "off",
    request: ({ token }) => ({
      path: "/api/v1/api-keys?page_size=0",
      headers: { authorization: `Bearer ${token}` },
    }),
  },
  {
    name: "auth-jwt-redis",
    what: "auth-jwt with the rate limit on Redis (Upstash REST bridge over redis-server) instead of the TenantGate",
    target: "redis",
    request: ({ token }) => ({
      path: "/api/v1/api-keys?page_size=0",
      headers: { authorization: `Bearer ${token}` },
    }),
  },
  {
    name: "auth-api-key",
    what: "X-API-Key (isolate cache hit) + TenantGate status + permission, refused by validation as above",
    request: ({ apiKey }) => ({ path: "/api/v1/api-keys?page_size=0", headers: { "x-api-key": apiKey } }),
  },
  {
    name: "ingest",
    what: "POST /api/v1/events: auth, schema validation, event + outbox row in one transaction (receiver in no group)",
    request: ({ token, receiverId }) => eventRequest(token, receiverId),
  },
  {
    name: "ingest-group",
    what: "POST /api/v1/events for a receiver in a 3-member group: completion decided in the same transaction",
    request: ({ token, groupedReceiverId }) => eventRequest(token, groupedReceiverId),
  },
];

function eventRequest(token: string, receiverId: string) {
  const body = {
    name: "bench",
    version: "1.0.0",
    release: "1",
    platform_id: "linux-amd64",
    package: "rpm",
    payload: { size: 42, tag: "bench" },
    success: true,
    event_receiver_id: receiverId,
  };
  return {
    path: "/api/v1/events",
    method: "POST" as const,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

/** A receiver, and one that belongs to a 3-member group, made through the API. */
async function seed(url: string, apiKey: string) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: { id: string } }).data.id;
  };
  const schema = {
    type: "object",
    properties: { size: { type: "integer" }, tag: { type: "string" } },
    required: ["size"],
  };
  const receiver = (name: string) => post("/api/v1/receivers", { name, type: "bench", version: "1", schema });
  const receiverId = await receiver("plain");
  const members = [await receiver("member-1"), await receiver("member-2"), await receiver("member-3")];
  await post("/api/v1/groups", { name: "bench", type: "release", version: "1", event_receiver_ids: members });
  return { receiverId, groupedReceiverId: members[0] as string };
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/**
 * CPU seconds used so far by a process and all its descendants (wrangler and its workerd), from
 * /proc: what the Worker itself spends, apart from the load generator and the stand-ins for
 * remote services (PostgreSQL, the Upstash bridge, redis-server) that share this machine.
 */
function treeCpuSeconds(root: number): number {
  const stats = new Map<number, { parent: number; cpu: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { parent: Number(fields[1]), cpu: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { parent }] of stats) {
      if (tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of tree) total += stats.get(pid)?.cpu ?? 0;
  return total / CLOCK_TICKS;
}

interface Measured {
  name: string;
  requests: number;
  /** The Worker's CPU milliseconds per request (wrangler + workerd). */
  cpuMs: number;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  unexpected: number;
}

async function measure(
  target: { url: string; pid: number },
  scenario: Scenario,
  server: BenchContext,
  warmUp: boolean,
  load = connections,
): Promise<Measured> {
  const { path, ...rest } = scenario.request(server);
  const options = { url: `${target.url}${path}`, connections: load, ...rest };
  if (warmUp) await autocannon({ ...options, duration: 2 }); // isolates, key imports, caches
  const cpuBefore = treeCpuSeconds(target.pid);
  const result = await autocannon({ ...options, duration });
  const cpuSeconds = treeCpuSeconds(target.pid) - cpuBefore;
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([status, { count }]) => `${status}×${count}`)
    .join(" ");
  console.error(
    `[bench] ${scenario.name}: ${statuses}; errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}`,
  );
  return {
    name: scenario.name,
    requests: result.requests.total,
    cpuMs: (cpuSeconds * 1000) / Math.max(1, result.requests.total),
    rps: result.requests.average,
    mean: result.latency.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    unexpected:
      result.errors +
      result.timeouts +
      // The auth scenarios expect 400 (validation after authentication); the others 2xx.
      (scenario.name.startsWith("auth") ? result["2xx"] + result["5xx"] : result.non2xx),
  } satisfies Measured;
}

const signed = (value: number, digits: number) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Each figure's median over the rounds; unexpected answers are summed. */
function medianOf(runs: Measured[]): Measured {
  const pick = (key: "rps" | "mean" | "p50" | "p99" | "cpuMs") => median(runs.map((run) => run[key]));
  return {
    name: runs[0]?.name ?? "",
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    cpuMs: pick("cpuMs"),
    rps: pick("rps"),
    mean: pick("mean"),
    p50: pick("p50"),
    p99: pick("p99"),
    unexpected: runs.reduce((sum, run) => sum + run.unexpected, 0),
  };
}

/** Median time of verifyAccessToken with a cached key, in this process (jose on WebCrypto, as in workerd). */
async function verificationMedian(secretsFile: string): Promise<number> {
  const secrets = await localSecrets(secretsFile);
  const config = signingConfig(secrets);
  const token = await mintToken(secrets, { tenantId: ulid(), principalId: ulid(), roles: ["writer"] });
  const now = Math.floor(Date.now() / 1000);
  await verifyAccessToken(config, token, now);
  const times: number[] = [];
  for (let index = 0; index < 2_000; index++) {
    const started = performance.now();
    await verifyAccessToken(config, token, now);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** The same Worker with other variables, against the same database, on a port and state of its own. */
async function variant(dataDir: string, vars: Record<string, string>, name: string) {
  return startWrangler({
    dataDir: join(dataDir, name),
    port: await freePort(),
    vars,
    output: "ignore",
    devtools: false,
  });
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "xzepr-bench-"));
  const server = await startDevServer({
    dataDir,
    port: await freePort(),
    pgPort: await freePort(),
    proxyPort: await freePort(),
    sinkPort: await freePort(),
    tenantSlug: "bench",
    vars: { LOG_LEVEL: "error" },
    wranglerOutput: "ignore",
    devtools: false,
    log: (message) => console.error(`[bench] ${message}`),
  });
  const stoppers: (() => Promise<void>)[] = [];
  try {
    // Limits high enough never to refuse the load: the bench measures the cost of the step.
    const unlimited = { rate_limits: { anonymous: 1e9, authenticated: 1e9, admin: 1e9 } };
    await withDatabase(server.stack.databaseUrl, (db) =>
      db.update(tenants).set({ settings: unlimited }).where(eq(tenants.id, server.credentials.tenantId)),
    );
    ensureRedisServer((message) => console.error(`[bench] ${message}`));
    const redis = await startRedisServer({ port: await freePort() });
    stoppers.push(() => redis.stop());
    const bridge = await startUpstashBridge({
      port: await freePort(),
      redisUrl: redis.url,
      token: randomUUID(),
    });
    stoppers.push(() => bridge.close());
    const off = await variant(dataDir, { ...server.vars, RATE_LIMITS: "off" }, "off");
    stoppers.push(() => off.stop());
    const onRedis = await variant(
      dataDir,
      { ...server.vars, UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
      "redis",
    );
    stoppers.push(() => onRedis.stop());
    const targets: Record<Target, { url: string; pid: number }> = { main: server, off, redis: onRedis };
    const apiKey = server.credentials.apiKey;
    const context = {
      url: server.url,
      apiKey,
      token: server.accessToken,
      ...(await seed(server.url, apiKey)),
    };
    const chosen = values.only ? new Set(["noop", ...values.only.split(",")]) : undefined;
    const chosenScenarios = scenarios.filter((item) => !chosen || chosen.has(item.name));
    const runs = new Map<string, Measured[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of chosenScenarios) {
        console.error(
          `[bench] round ${round}/${rounds} ${scenario.name}: ${duration} s, ${connections} connections`,
        );
        const measured = await measure(targets[scenario.target ?? "main"], scenario, context, round === 1);
        runs.set(scenario.name, [...(runs.get(scenario.name) ?? []), measured]);
      }
    }
    const results = chosenScenarios.map((scenario) => medianOf(runs.get(scenario.name) ?? []));
    const baseline = results[0] as Measured;
    console.log(
      `\nxzepr-edge bench: medians of ${rounds} rounds of ${duration} s per scenario, ${connections} connections, wrangler dev on loopback\n`,
    );
    console.log(
      "scenario        req/s   ratio   mean ms  p50 ms  p99 ms  +mean ms  cpu ms/req  cpu ratio  unexpected",
    );
    for (const row of results) {
      console.log(
        [
          row.name.padEnd(14),
          row.rps.toFixed(0).padStart(7),
          (row.rps / baseline.rps).toFixed(2).padStart(7),
          row.mean.toFixed(2).padStart(9),
          String(row.p50).padStart(7),
          String(row.p99).padStart(7),
          (row.mean - baseline.mean).toFixed(2).padStart(9),
          row.cpuMs.toFixed(3).padStart(11),
          (row.cpuMs / baseline.cpuMs).toFixed(2).padStart(10),
          String(row.unexpected).padStart(11),
        ].join(" "),
      );
    }
    for (const scenario of scenarios) console.log(`  ${scenario.name}: ${scenario.what}`);
    // The rate-limit step, measured in pairs: with and without it under load at the same time
    // (half the connections each), so that both meet the same moment of this noisy machine.
    const byName = new Map(scenarios.map((scenario) => [scenario.name, scenario]));
    const without = byName.get("auth-jwt-nolimit") as Scenario;
    for (const name of ["auth-jwt", "auth-jwt-redis"]) {
      const withStep = byName.get(name) as Scenario;
      if (chosen && !(chosen.has(name) && chosen.has(without.name))) continue;
      const pairs: { throughput: number; cpu: number }[] = [];
      const servedBefore = bridge.stats();
      for (let round = 1; round <= rounds; round++) {
        console.error(`[bench] pair ${round}/${rounds}: ${name} with ${without.name}, ${duration} s`);
        const [a, b] = await Promise.all(
          [withStep, without].map((scenario) =>
            measure(
              targets[scenario.target ?? "main"],
              scenario,
              context,
              false,
              Math.max(1, connections / 2),
            ),
          ),
        );
        if (a && b) pairs.push({ throughput: a.rps / b.rps, cpu: a.cpuMs - b.cpuMs });
      }
      const throughput = median(pairs.map((pair) => pair.throughput));
      const cpu = median(pairs.map((pair) => pair.cpu));
      console.log(
        `rate-limit step (${name === "auth-jwt" ? "TenantGate" : "Redis"}), paired: throughput ratio ${throughput.toFixed(2)} ` +
          `(${signed((1 / throughput - 1) * 100, 0)}% cost per request); Worker CPU ${signed(cpu, 3)} ms per request = ` +
          `${signed((cpu / baseline.cpuMs) * 100, 0)}% of a no-op request (medians of ${rounds} pairs)`,
      );
      const served = bridge.stats();
      const commands = served.commands - servedBefore.commands;
      const requests = served.requests - servedBefore.requests;
      if (withStep.target === "redis" && requests > 0)
        console.log(
          `  Redis served ${commands} commands in ${requests} HTTP requests (${(commands / requests).toFixed(1)} per request)`,
        );
    }
    const verifyMedian = await verificationMedian(join(dataDir, "secrets.json"));
    console.log(
      `\nJWT verification with a cached key, median of 2000 in-process: ${(verifyMedian * 1000).toFixed(0)} µs`,
    );
  } finally {
    for (const stop of stoppers.reverse()) await stop();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
