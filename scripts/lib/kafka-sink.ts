// A local Kafka REST peer: speaks Confluent's REST v3 produce API, the Kafka REST Proxy v2
// dialect and Upstash Kafka's `/produce`, keeps what it receives, and can be told to fail, delay,
// refuse the credentials (401, also on the readiness probe when set for every key) or answer
// per-record errors — for every key, or only for keys with a given prefix (a tenant's
// keys start with its id, so one test can break its own deliveries without touching others').
//   GET    /_sink/records[?key_prefix=]   what was received, in order
//   DELETE /_sink/records                 forget it
//   PUT    /_sink/mode                    {"mode": "ok"|"fail"|"unauthorized"|"record-error", "failRatio"?: 0..1,
//                                          "delayMs"?: n, "keyPrefix"?: "…"}
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type Dialect = "v3" | "v2" | "upstash";

export interface SinkRecord {
  dialect: Dialect;
  topic: string;
  partition: number;
  offset: number;
  key: unknown;
  value: unknown;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface SinkMode {
  mode: "ok" | "fail" | "unauthorized" | "record-error";
  /** With "fail" or "record-error": the share of produce calls that fail (default 1). */
  failRatio?: number;
  delayMs?: number;
  /** Applies only to records whose key starts with this; without it, to every record. */
  keyPrefix?: string;
}

export interface KafkaSink {
  url: string;
  records: SinkRecord[];
  setMode(mode: SinkMode): void;
  close(): Promise<void>;
}

interface Incoming {
  key: unknown;
  value: unknown;
  headers: Record<string, string>;
}

const V3_PATH = /^\/v3\/clusters\/([^/]+)\/topics\/([^/]+)\/records$/;
const V2_PATH = /^\/topics\/([^/]+)$/;
const CLUSTER_PATH = /^\/v3\/clusters\/([^/]+)$/;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
}

const UNAUTHORIZED = { error_code: 40101, message: "Authentication failed: bad credentials" };

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function decodeV3Data(field: { type?: string; data?: unknown } | undefined): unknown {
  if (!field) return null;
  if (field.type === "BINARY" && typeof field.data === "string")
    return Buffer.from(field.data, "base64").toString("utf8");
  return field.data ?? null;
}

/** Upstash sends the value as a string (JSON.stringify'd by its client). */
function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export async function startKafkaSink(options: {
  port: number;
  host?: string;
  print?: boolean;
  /** The one cluster id GET /v3/clusters/{id} knows (default "local", as the stack configures). */
  clusterId?: string;
}): Promise<KafkaSink> {
  const clusterId = options.clusterId ?? "local";
  const records: SinkRecord[] = [];
  const modes = new Map<string, SinkMode>();
  const offsets = new Map<string, number>();
  const nextOffset = (topic: string) => {
    const offset = offsets.get(topic) ?? 0;
    offsets.set(topic, offset + 1);
    return offset;
  };
  /** The mode for a key: the longest matching prefix, else the global one. */
  const modeFor = (key: unknown): SinkMode => {
    let best: SinkMode = modes.get("") ?? { mode: "ok" };
    let length = -1;
    for (const [prefix, mode] of modes) {
      if (prefix && String(key).startsWith(prefix) && prefix.length > length) {
        best = mode;
        length = prefix.length;
      }
    }
    return best;
  };
  const setMode = (mode: SinkMode) => {
    const prefix = mode.keyPrefix ?? "";
    if (mode.mode === "ok" && !mode.delayMs && prefix) modes.delete(prefix);
    else modes.set(prefix, mode);
  };
  const rolls = (mode: SinkMode, kind: SinkMode["mode"]) =>
    mode.mode === kind && Math.random() < (mode.failRatio ?? 1);
  const keep = (dialect: Dialect, topic: string, record: Incoming): SinkRecord => {
    const kept = {
      dialect,
      topic,
      partition: 0,
      offset: nextOffset(topic),
      ...record,
      receivedAt: new Date().toISOString(),
    };
    records.push(kept);
    if (options.print)
      console.log(
        `[kafka-sink] ${topic}@${kept.offset} key=${JSON.stringify(kept.key)} ${JSON.stringify(kept.value)}`,
      );
    return kept;
  };

  /** One produce call: delay and whole-call failure are decided by the first record's key. */
  async function produce(
    res: ServerResponse,
    dialect: Dialect,
    topicOf: (i: number) => string,
    batch: Incoming[],
  ) {
    const mode = modeFor(batch[0]?.key);
    if (mode.delayMs) await new Promise((resolve) => setTimeout(resolve, mode.delayMs));
    if (rolls(mode, "fail")) return send(res, 503, { error_code: 503, message: "sink told to fail" });
    if (mode.mode === "unauthorized") return send(res, 401, UNAUTHORIZED);
    const results = batch.map((record, index) =>
      rolls(modeFor(record.key), "record-error") ? undefined : keep(dialect, topicOf(index), record),
    );
    if (dialect === "v3") {
      const kept = results[0];
      if (!kept) return send(res, 200, { error_code: 40403, message: "sink told to answer a record error" });
      return send(res, 200, {
        error_code: 200,
        topic_name: kept.topic,
        partition_id: kept.partition,
        offset: kept.offset,
        timestamp: kept.receivedAt,
      });
    }
    if (dialect === "v2") {
      return send(res, 200, {
        key_schema_id: null,
        value_schema_id: null,
        offsets: results.map((kept) =>
          kept
            ? { partition: kept.partition, offset: kept.offset, error_code: null, error: null }
            : {
                partition: null,
                offset: null,
                error_code: 50001,
                error: "sink told to answer a record error",
              },
        ),
      });
    }
    return send(
      res,
      200,
      results.map((kept, index) =>
        kept
          ? { topic: kept.topic, partition: kept.partition, offset: kept.offset, timestamp: Date.now() }
          : { topic: topicOf(index), error: "sink told to answer a record error" },
      ),
    );
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://sink");
      const path = url.pathname;
      if (path === "/_sink/records" && req.method === "GET") {
        const prefix = url.searchParams.get("key_prefix");
        return send(res, 200, prefix ? records.filter((r) => String(r.key).startsWith(prefix)) : records);
      }
      if (path === "/_sink/records" && req.method === "DELETE") {
        records.length = 0;
        return send(res, 204, null);
      }
      if (path === "/_sink/mode" && req.method === "PUT") {
        const mode = (await readJson(req)) as SinkMode;
        setMode(mode);
        return send(res, 200, mode);
      }
      if (req.method === "GET" && path === "/")
        return send(res, 200, { kind: "KafkaRestSink", dialects: ["v3", "v2", "upstash"] });
      // What the readiness probe asks: the cluster (v3), a topic (v2), the topics (Upstash).
      const cluster = CLUSTER_PATH.exec(path);
      const probe = req.method === "GET" && (cluster || V2_PATH.test(path) || path === "/topics");
      if (probe && modeFor(undefined).mode === "unauthorized") return send(res, 401, UNAUTHORIZED);
      if (req.method === "GET" && cluster) {
        const id = decodeURIComponent(cluster[1] ?? "");
        return id === clusterId
          ? send(res, 200, { kind: "KafkaCluster", cluster_id: id })
          : send(res, 404, { error_code: 404, message: `cluster ${id} not found` });
      }
      const topic = V2_PATH.exec(path);
      if (req.method === "GET" && topic) return send(res, 200, { name: decodeURIComponent(topic[1] ?? "") });
      if (req.method === "GET" && path === "/topics") return send(res, 200, []);

      const v3 = V3_PATH.exec(path);
      const v2 = V2_PATH.exec(path);
      if (req.method !== "POST" || (!v3 && !v2 && path !== "/produce"))
        return send(res, 404, { error_code: 404, message: "not found" });
      const body = (await readJson(req)) as Record<string, unknown>;

      if (v3) {
        const topic = decodeURIComponent(v3[2] ?? "");
        const headers = Object.fromEntries(
          ((body.headers as { name: string; value: string }[] | undefined) ?? []).map((h) => [
            h.name,
            Buffer.from(h.value, "base64").toString("utf8"),
          ]),
        );
        const record = {
          key: decodeV3Data(body.key as { type?: string; data?: unknown }),
          value: decodeV3Data(body.value as { type?: string; data?: unknown }),
          headers,
        };
        return await produce(res, "v3", () => topic, [record]);
      }
      if (v2) {
        const topic = decodeURIComponent(v2[1] ?? "");
        const batch = ((body.records as { key?: unknown; value?: unknown }[] | undefined) ?? []).map((r) => ({
          key: r.key ?? null,
          value: r.value ?? null,
          headers: {},
        }));
        return await produce(res, "v2", () => topic, batch);
      }
      const entries = (Array.isArray(body) ? body : [body]) as {
        topic: string;
        key?: unknown;
        value?: unknown;
        headers?: { key: string; value: string }[];
      }[];
      const batch = entries.map((entry) => ({
        key: entry.key ?? null,
        value: parseMaybeJson(entry.value),
        headers: Object.fromEntries((entry.headers ?? []).map((h) => [h.key, h.value])),
      }));
      return await produce(res, "upstash", (i) => entries[i]?.topic ?? "", batch);
    } catch (error) {
      return send(res, 400, { error_code: 400, message: `bad request: ${(error as Error).message}` });
    }
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    records,
    setMode,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
