// `npm run bench`: load on the local stack (wrangler dev, embedded PostgreSQL), every scenario
// reported as a ratio to a no-op route measured in the same run, since this machine is shared
// and noisy. Loopback only; each scenario is bounded in time.
// Scenarios run in rounds (A B C … A B C …) and each figure is the median over the rounds, so
// that a slow moment of the machine does not land on one scenario only. wrangler dev runs without
// its DevTools inspector, whose per-subrequest relaying a deployed Worker does not pay; besides
// throughput, the Worker's own CPU per request (wrangler + workerd processes) is reported. The
// rate-limit step is measured in pairs too: the same request with and without it, at once.
// Then the round-trip table: each scenario at one connection with the database 0 and --rtt ms
// away (simulated by the stack), the added p50 latency over --rtt being the database round trips
// its critical path waits for, next to the counts the Worker reports in Server-Timing.
// Then the load profiles on ingest (scripts/lib/bench-profiles.ts): baseline, stress, spike, soak,
// each printed with pass or fail against its target.
//   npm run bench -- [--duration 6] [--rounds 3] [--connections 8] [--only auth,read,…]
//                    [--rtt 50 (0: no round-trip table)] [--rtt-duration 4]
//                    [--profiles baseline,stress,spike,soak | none] [--rate 100] [--soak-minutes 10]
//   npm run bench -- --smoke    the load profiles only, about 20 s of load in all (CI runs it):
//                               exits 1 when one answers wrongly (a 5xx other than 503, a lost
//                               connection, errors at a steady rate); latency is reported, not enforced
// XZEPR_DB_RTT_MS puts the database that far away for the throughput figures too.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { ulid } from "ulidx";
import { tenants } from "../src/db/schema";
import { verifyAccessToken } from "../src/infra/jwt";
import { type LoadTarget, measure, probe } from "./lib/bench-load";
import { PROFILES, type ProfileName, type ProfileResult, printProfiles } from "./lib/bench-profiles";
import { roundTripTable } from "./lib/bench-round-trips";
import { type BenchContext, type Scenario, scenarios, seed, type Target } from "./lib/bench-scenarios";
import { type Measured, median, medianOf, signed } from "./lib/bench-stats";
import { deliveryRate, seedHookedTenant } from "./lib/bench-webhooks";
import { withDatabase } from "./lib/database";
import { startDevServer, startWrangler } from "./lib/dev-server";
import { checkRttMs } from "./lib/distance";
import { freePort } from "./lib/ports";
import { ensureRedisServer, startRedisServer } from "./lib/redis-server";
import { type LocalSecrets, localSecrets, mintToken, signingConfig } from "./lib/secrets";
import { startUpstashBridge } from "./lib/upstash-bridge";
import { startWebhookReceiver, type WebhookReceiver } from "./lib/webhook-receiver";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "6" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "8" },
    only: { type: "string" },
    rtt: { type: "string", default: "50" },
    "rtt-duration": { type: "string", default: "4" },
    profiles: { type: "string", default: "baseline,stress,spike,soak" },
    rate: { type: "string", default: "100" },
    "soak-minutes": { type: "string", default: "10" },
    smoke: { type: "boolean", default: false },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} must be a positive number`);
  return value;
}
const duration = positive("duration", values.duration);
const rounds = Math.round(positive("rounds", values.rounds));
const connections = Math.round(positive("connections", values.connections));
const rttMs = checkRttMs(Number(values.rtt), "--rtt");
const rttDuration = positive("rtt-duration", values["rtt-duration"]);
const startRttMs = checkRttMs(Number(process.env.XZEPR_DB_RTT_MS ?? 0), "XZEPR_DB_RTT_MS");

const smoke = values.smoke;
const rate = Math.round(positive("rate", values.rate));
const soakSeconds = positive("soak-minutes", values["soak-minutes"]) * 60;
const chosenProfiles = (values.profiles === "none" ? [] : values.profiles.split(",")) as ProfileName[];
const unknownProfiles = chosenProfiles.filter((name) => !(name in PROFILES));
if (unknownProfiles.length > 0)
  throw new Error(
    `--profiles: no profile ${unknownProfiles.join(", ")} (${Object.keys(PROFILES).join(", ")})`,
  );

const chosen = values.only ? new Set(["noop", ...values.only.split(",")]) : undefined;
const unknown = [...(chosen ?? [])].filter((name) => !scenarios.some((scenario) => scenario.name === name));
if (unknown.length > 0)
  throw new Error(`--only: no scenario ${unknown.join(", ")} (${scenarios.map((s) => s.name).join(", ")})`);
const chosenScenarios = scenarios.filter((item) => !chosen || chosen.has(item.name));

/** Median time of verifyAccessToken with a cached key, in this process (jose on WebCrypto, as in workerd). */
/**
 * Medians of 500 in-process verifications of access tokens, in µs: each a token not seen before
 * (the signature is checked, the signing key already imported), and a token this isolate verified
 * already (remembered until it expires).
 */
async function verificationMedians(secretsFile: string): Promise<{ fresh: number; remembered: number }> {
  const secrets = await localSecrets(secretsFile);
  const config = signingConfig(secrets);
  const now = Math.floor(Date.now() / 1000);
  const mint = () => mintToken(secrets, { tenantId: ulid(), principalId: ulid(), roles: ["writer"] });
  const timed = async (token: string) => {
    const started = performance.now();
    await verifyAccessToken(config, token, now);
    return (performance.now() - started) * 1000;
  };
  await timed(await mint());
  const tokens = await Promise.all(Array.from({ length: 500 }, mint));
  const fresh: number[] = [];
  for (const token of tokens) fresh.push(await timed(token));
  const remembered: number[] = [];
  for (const token of tokens) remembered.push(await timed(token));
  return { fresh: median(fresh), remembered: median(remembered) };
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

function printThroughput(results: Measured[]) {
  const baseline = results[0] as Measured;
  console.log(
    `\nxzepr-edge bench: medians of ${rounds} rounds of ${duration} s per scenario, ${connections} connections, wrangler dev on loopback` +
      (startRttMs > 0 ? `, database ${startRttMs} ms away (XZEPR_DB_RTT_MS)` : "") +
      "\n",
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
  for (const scenario of chosenScenarios) console.log(`  ${scenario.name}: ${scenario.what}`);
  const ingest = results.find((row) => row.name === "ingest");
  if (ingest)
    console.log(
      `ingest p99 at ${connections} connections: ${ingest.p99} ms (${(ingest.rps / baseline.rps).toFixed(2)} of noop's req/s)`,
    );
}

type Server = Awaited<ReturnType<typeof startDevServer>>;

/** Deliveries queued at once to measure the delivery job's rate. */
const WEBHOOK_BACKLOG = 2_000;

// Limits high enough never to refuse the load: the bench measures the cost of the step.
const UNLIMITED = { rate_limits: { anonymous: 1e9, authenticated: 1e9, admin: 1e9 } };

/** The data the scenarios need, seeded through the API with the dev tenant's admin key. */
async function contextOf(server: Server, secrets: LocalSecrets, receiver: WebhookReceiver) {
  const apiKey = server.credentials.apiKey;
  const hooked = await seedHookedTenant({
    url: server.url,
    databaseUrl: server.stack.databaseUrl,
    secrets,
    receiver,
    settings: UNLIMITED,
  });
  const context: BenchContext = {
    url: server.url,
    apiKey,
    token: server.accessToken,
    ...(await seed(server.url, apiKey)),
    hooked,
  };
  return { context, hooked };
}

/** The chosen load profiles on the ingest scenario, one after the other, printed as a table. */
async function runProfiles(
  server: Server,
  context: BenchContext,
  timing: { seconds: Parameters<(typeof PROFILES)["baseline"]>[0]["seconds"]; maxSteps: number },
): Promise<ProfileResult[]> {
  const ingest = scenarios.find((scenario) => scenario.name === "ingest") as Scenario;
  const results: ProfileResult[] = [];
  for (const name of chosenProfiles) {
    console.error(`[bench] profile ${name}`);
    results.push(
      await PROFILES[name]({
        url: server.url,
        request: ingest.request(context),
        rate,
        spikeConnections: 256,
        serverPid: server.pid,
        ...timing,
      }),
    );
  }
  if (results.length > 0) printProfiles(results);
  return results;
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "xzepr-bench-"));
  const receiver = await startWebhookReceiver({ port: await freePort() });
  const server = await startDevServer({
    dataDir,
    port: await freePort(),
    pgPort: await freePort(),
    proxyPort: await freePort(),
    httpPort: await freePort(),
    sinkPort: await freePort(),
    rttMs: startRttMs,
    tenantSlug: "bench",
    vars: { LOG_LEVEL: "error", WEBHOOK_ALLOWED_HOSTS: receiver.host },
    wranglerOutput: "ignore",
    devtools: false,
    log: (message) => console.error(`[bench] ${message}`),
  });
  const stoppers: (() => Promise<void>)[] = [() => receiver.close()];
  try {
    await withDatabase(server.stack.databaseUrl, (db) =>
      db.update(tenants).set({ settings: UNLIMITED }).where(eq(tenants.id, server.credentials.tenantId)),
    );
    const secrets = await localSecrets(join(dataDir, "secrets.json"));
    if (smoke) {
      const { context } = await contextOf(server, secrets, receiver);
      const results = await runProfiles(server, context, {
        seconds: { baseline: 5, step: 2, spike: 3, soak: 4, recovery: 2 },
        maxSteps: 3,
      });
      if (results.some((result) => result.broken)) process.exitCode = 1;
      return;
    }
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
    const targets: Record<Target, LoadTarget> = { main: server, off, redis: onRedis };
    const { context, hooked } = await contextOf(server, secrets, receiver);
    // One request each first: a scenario the Worker refuses is reported with its answer.
    for (const scenario of chosenScenarios) {
      const answer = await probe(targets[scenario.target ?? "main"], scenario, context);
      if (!answer.expected)
        console.error(`[bench] ${scenario.name} answered ${answer.status}: ${answer.text.slice(0, 500)}`);
    }
    const runs = new Map<string, Measured[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of chosenScenarios) {
        console.error(
          `[bench] round ${round}/${rounds} ${scenario.name}: ${duration} s, ${connections} connections`,
        );
        const measured = await measure(targets[scenario.target ?? "main"], scenario, context, {
          connections,
          duration,
          warmUp: round === 1,
        });
        runs.set(scenario.name, [...(runs.get(scenario.name) ?? []), measured]);
      }
    }
    const results = chosenScenarios.map((scenario) => medianOf(runs.get(scenario.name) ?? []));
    printThroughput(results);
    const baseline = results[0] as Measured;
    if (!chosen || chosen.has("ingest-webhook")) {
      const rate = await deliveryRate({
        url: server.url,
        databaseUrl: server.stack.databaseUrl,
        hooked,
        receiver,
        count: WEBHOOK_BACKLOG,
      });
      console.log(
        `webhook delivery: ${rate.deliveries} of a backlog of ${WEBHOOK_BACKLOG} to a local receiver in ${rate.seconds.toFixed(1)} s = ` +
          `${rate.perSecond.toFixed(0)} deliveries/s (cron runs back to back${rate.left > 0 ? `; ${rate.left} still pending` : ""})`,
      );
    }
    if (rttMs > 0)
      await roundTripTable({
        scenarios: chosenScenarios,
        targets,
        context,
        setRttMs: (ms) => server.stack.setRttMs(ms),
        rttMs,
        restoreRttMs: startRttMs,
        rounds,
        duration: rttDuration,
      });
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
        const half = { connections: Math.max(1, Math.floor(connections / 2)), duration };
        const [a, b] = await Promise.all(
          [withStep, without].map((scenario) =>
            measure(targets[scenario.target ?? "main"], scenario, context, half),
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
    const verify = await verificationMedians(join(dataDir, "secrets.json"));
    console.log(
      `\nJWT verification, medians of 500 in-process: a new token ${verify.fresh.toFixed(0)} µs (signature checked), ` +
        `a remembered one ${verify.remembered.toFixed(1)} µs`,
    );
    await runProfiles(server, context, {
      seconds: { baseline: 30, step: 10, spike: 10, soak: soakSeconds, recovery: 5 },
      maxSteps: 8,
    });
  } finally {
    for (const stop of stoppers.reverse()) await stop();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
