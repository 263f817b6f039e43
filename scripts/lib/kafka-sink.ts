// A local Kafka REST peer: speaks Confluent's REST v3 produce API and the Kafka REST Proxy v2
// dialect, keeps what it receives, and can be told to fail, delay or answer per-record errors.
//   GET  /_sink/records          what was received, in order
//   DELETE /_sink/records        forget it
//   PUT  /_sink/mode             {"mode": "ok"|"fail"|"record-error", "failRatio"?: 0..1, "delayMs"?: n}
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface SinkRecord {
  dialect: "v3" | "v2";
  topic: string;
  partition: number;
  offset: number;
  key: unknown;
  value: unknown;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface SinkMode {
  mode: "ok" | "fail" | "record-error";
  /** With "fail" or "record-error": the share of produce calls that fail (default 1). */
  failRatio?: number;
  delayMs?: number;
}

export interface KafkaSink {
  url: string;
  records: SinkRecord[];
  setMode(mode: SinkMode): void;
  close(): Promise<void>;
}

const V3_PATH = /^\/v3\/clusters\/([^/]+)\/topics\/([^/]+)\/records$/;
const V2_PATH = /^\/topics\/([^/]+)$/;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function decodeV3Data(field: { type?: string; data?: unknown } | undefined): unknown {
  if (!field) return null;
  if (field.type === "BINARY" && typeof field.data === "string")
    return Buffer.from(field.data, "base64").toString("utf8");
  return field.data ?? null;
}

export async function startKafkaSink(options: {
  port: number;
  host?: string;
  print?: boolean;
}): Promise<KafkaSink> {
  const records: SinkRecord[] = [];
  let mode: SinkMode = { mode: "ok" };
  const offsets = new Map<string, number>();
  const nextOffset = (topic: string) => {
    const offset = offsets.get(topic) ?? 0;
    offsets.set(topic, offset + 1);
    return offset;
  };
  const failing = () => mode.mode !== "ok" && Math.random() < (mode.failRatio ?? 1);
  const keep = (record: SinkRecord) => {
    records.push(record);
    if (options.print)
      console.log(
        `[kafka-sink] ${record.topic}@${record.offset} key=${JSON.stringify(record.key)} ${JSON.stringify(record.value)}`,
      );
  };

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://sink").pathname;
      if (path === "/_sink/records" && req.method === "GET") return send(res, 200, records);
      if (path === "/_sink/records" && req.method === "DELETE") {
        records.length = 0;
        return send(res, 204, null);
      }
      if (path === "/_sink/mode" && req.method === "PUT") {
        mode = (await readJson(req)) as SinkMode;
        return send(res, 200, mode);
      }
      if (req.method === "GET" && path === "/")
        return send(res, 200, { kind: "KafkaRestSink", dialects: ["v3", "v2"] });

      const v3 = V3_PATH.exec(path);
      const v2 = V2_PATH.exec(path);
      if (req.method !== "POST" || (!v3 && !v2))
        return send(res, 404, { error_code: 404, message: "not found" });
      const body = (await readJson(req)) as Record<string, unknown>;
      if (mode.delayMs) await new Promise((resolve) => setTimeout(resolve, mode.delayMs));
      const fail = failing();
      if (fail && mode.mode === "fail")
        return send(res, 503, { error_code: 503, message: "sink told to fail" });

      if (v3) {
        const topic = decodeURIComponent(v3[2] ?? "");
        if (fail) return send(res, 200, { error_code: 40403, message: "sink told to answer a record error" });
        const headers = Object.fromEntries(
          ((body.headers as { name: string; value: string }[] | undefined) ?? []).map((h) => [
            h.name,
            Buffer.from(h.value, "base64").toString("utf8"),
          ]),
        );
        const offset = nextOffset(topic);
        keep({
          dialect: "v3",
          topic,
          partition: 0,
          offset,
          key: decodeV3Data(body.key as { type?: string; data?: unknown }),
          value: decodeV3Data(body.value as { type?: string; data?: unknown }),
          headers,
          receivedAt: new Date().toISOString(),
        });
        return send(res, 200, {
          error_code: 200,
          cluster_id: v3[1],
          topic_name: topic,
          partition_id: 0,
          offset,
          timestamp: new Date().toISOString(),
        });
      }

      const topic = decodeURIComponent(v2?.[1] ?? "");
      const batch = (body.records as { key?: unknown; value?: unknown }[] | undefined) ?? [];
      const results = batch.map((record) => {
        if (fail)
          return {
            partition: null,
            offset: null,
            error_code: 50001,
            error: "sink told to answer a record error",
          };
        const offset = nextOffset(topic);
        keep({
          dialect: "v2",
          topic,
          partition: 0,
          offset,
          key: record.key ?? null,
          value: record.value ?? null,
          headers: {},
          receivedAt: new Date().toISOString(),
        });
        return { partition: 0, offset, error_code: null, error: null };
      });
      return send(res, 200, { key_schema_id: null, value_schema_id: null, offsets: results });
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
    setMode: (next) => {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
