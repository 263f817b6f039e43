// Starts the real local stack once for the whole run: embedded PostgreSQL + WebSocket proxy + Neon
// HTTP endpoint + migrations + Kafka REST sink, and a second, migrated PostgreSQL that tests may
// stop and start (outages).

import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../scripts/lib/database";
import { startNeonHttp } from "../scripts/lib/neon-http";
import { startOtlpReceiver } from "../scripts/lib/otlp-receiver";
import { freePort } from "../scripts/lib/ports";
import { startPostgres } from "../scripts/lib/postgres";
import { ensureRedisServer, startRedisServer } from "../scripts/lib/redis-server";
import { newSecrets } from "../scripts/lib/secrets";
import { startStack } from "../scripts/lib/stack";
import { startUpstashBridge } from "../scripts/lib/upstash-bridge";
import { startWebhookReceiver } from "../scripts/lib/webhook-receiver";
import { startWsProxy } from "../scripts/lib/ws-proxy";
import type { TestStack } from "./stack";

async function startControl(routes: Record<string, () => Promise<unknown>>) {
  const port = await freePort();
  const server = createServer(async (req, res) => {
    const action = routes[`${req.method} ${req.url}`];
    if (!action) return res.writeHead(404).end();
    try {
      const body = await action();
      if (body === undefined) res.writeHead(204).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), "xzepr-test-"));
  await chmod(dataDir, 0o755);
  const main = await startStack({
    dataDir: join(dataDir, "main"),
    persistent: false,
    pgPort: await freePort(),
    proxyPort: await freePort(),
    httpPort: await freePort(),
    sinkPort: await freePort(),
    rttMs: Number(process.env.XZEPR_DB_RTT_MS ?? 0),
  });

  // The outage database: a cluster of its own behind its own proxy and HTTP endpoint, so that
  // stopping it disturbs no other test; only the server stops, as when a database host goes away
  // (the endpoint's pool drops the broken connections and connects anew once it is back).
  const outageDir = join(dataDir, "outage");
  const outagePort = await freePort();
  const startOutage = () => startPostgres({ dataDir: outageDir, port: outagePort, persistent: true });
  let outage = await startOutage();
  // Migrated, so that the API can run on it while it goes away under load (test/faults.test.ts).
  await migrateDatabase(outage.url);
  const outageProxy = await startWsProxy({ port: await freePort(), allow: [`127.0.0.1:${outagePort}`] });
  const outageHttp = await startNeonHttp({ port: await freePort(), allow: [`127.0.0.1:${outagePort}`] });
  // Real Redis behind the Upstash REST bridge, for the Upstash rate-limit path; tests may stop it.
  ensureRedisServer((message) => console.log(`[global-setup] ${message}`));
  const redisPort = await freePort();
  let redis = await startRedisServer({ port: redisPort });
  const upstash = await startUpstashBridge({
    port: await freePort(),
    redisUrl: redis.url,
    token: randomUUID(),
  });

  // An external token issuer: its public keys at GET /jwks, its private key for the tests.
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const issuerJwk = { ...(await exportJWK(publicKey)), kid: "external-1", alg: "ES256", use: "sig" };
  const issuerPrivateJwk = { ...(await exportJWK(privateKey)), kid: "external-1", alg: "ES256" };

  // A trace collector, for the OTLP export.
  const otlp = await startOtlpReceiver({ port: await freePort() });
  // A webhook endpoint (test/routes/webhooks.test.ts), the one local host webhooks may point at.
  const hooks = await startWebhookReceiver({ port: await freePort() });

  const control = await startControl({
    "GET /jwks": async () => ({ keys: [issuerJwk] }),
    "POST /outage-db/stop": () => outage.stop(),
    "POST /outage-db/start": async () => {
      outage = await startOutage();
    },
    "GET /upstash/stats": async () => upstash.stats(),
    "GET /neon-http/stats": async () => main.neonHttp?.stats(),
    "POST /redis/stop": () => redis.stop(),
    "POST /redis/start": async () => {
      redis = await startRedisServer({ port: redisPort });
    },
  });

  const stack: TestStack = {
    bindings: { ...main.bindings, ...(await newSecrets("ES256")), WEBHOOK_ALLOWED_HOSTS: hooks.host },
    issuerJwksUrl: `${control.url}/jwks`,
    issuerPrivateKey: JSON.stringify(issuerPrivateJwk),
    upstashBindings: { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token },
    outageBindings: {
      DATABASE_URL: outage.url,
      DATABASE_WS_PROXY: outageProxy.address,
      DATABASE_HTTP_ENDPOINT: outageHttp.url,
      KAFKA_REST_URL: main.sink.url,
      KAFKA_CLUSTER_ID: "local",
    },
    sinkUrl: main.sink.url,
    controlUrl: control.url,
    otlpUrl: otlp.url,
    webhookReceiverUrl: hooks.url,
  };
  project.provide("stack", stack);

  return async () => {
    await control.close();
    await otlp.close();
    await hooks.close();
    await upstash.close();
    await redis.stop();
    await outageHttp.close();
    await outageProxy.close();
    await outage.stop();
    await main.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
