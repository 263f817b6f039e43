// Kafka producers over HTTP, one interface for three dialects (KAFKA_PRODUCER):
//   confluent-v3  Confluent Cloud / Confluent REST Proxy v3: one record per call; a failure can
//                 arrive as an `error_code` inside an HTTP 200, and counts as a failure.
//   rest-v2       Kafka REST Proxy v2 (Redpanda, Karapace): a batch per call, results per record.
//                 The dialect has no record headers, so the message headers are not sent.
//   upstash       @upstash/kafka (legacy: Upstash Kafka is discontinued).
// Every call is bounded by KAFKA_TIMEOUT_MS. A call the endpoint failed as a whole (timeout,
// network, 5xx) is retried KAFKA_RETRIES times after a full-jitter exponential delay; a
// per-isolate circuit breaker stops calling a failing endpoint for KAFKA_BREAKER_OPEN_MS.
import { Kafka } from "@upstash/kafka";
import type { Delivery, KafkaRecord } from "../contracts/kafka";
import type { Config } from "../env";
import { toBase64 } from "../lib/crypto";
import { CircuitBreaker } from "./circuit-breaker";

export interface KafkaProducer {
  /**
   * Sends records of one topic and key, in order, and reports one delivery per record. Stops
   * at the first failure, or before starting a call after `deadline` (epoch ms).
   */
  send(records: KafkaRecord[], deadline: number): Promise<Delivery[]>;
}

export class TransportError extends Error {}

/** Basic auth of the REST endpoint, when credentials are configured (also for the readiness probe). */
export function kafkaAuthHeaders(config: Config): Record<string, string> {
  if (!config.KAFKA_USERNAME && !config.KAFKA_PASSWORD) return {};
  const credentials = `${config.KAFKA_USERNAME ?? ""}:${config.KAFKA_PASSWORD ?? ""}`;
  return { authorization: `Basic ${base64(credentials)}` };
}

/** Base64 of a text's UTF-8 bytes. */
const base64 = (text: string) => toBase64(new TextEncoder().encode(text));

const TRANSPORT_STATUS = new Set([401, 403, 404, 408, 429]);

/** POSTs JSON; a timeout, a network error or a status the endpoint is to blame for throws. */
async function post(
  url: string,
  init: { headers: Record<string, string>; body: unknown; timeoutMs: number },
) {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: init.headers,
      body: JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    throw new TransportError(
      timedOut ? `timed out after ${init.timeoutMs} ms` : `unreachable: ${String(error)}`,
    );
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the status decides below.
  }
  const message = typeof body.message === "string" ? body.message : text.slice(0, 200);
  if (response.status >= 500 || TRANSPORT_STATUS.has(response.status)) {
    throw new TransportError(`HTTP ${response.status}: ${message}`);
  }
  return { status: response.status, body, message };
}

/**
 * Runs `call`, again after a transport failure up to KAFKA_RETRIES times, waiting a random time
 * in [0, base × 2^retry] first (full jitter), and never past `deadline`.
 */
async function withRetries<T>(config: Config, deadline: number, call: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await call();
    } catch (error) {
      const delay = Math.random() * config.KAFKA_RETRY_BASE_MS * 2 ** retry;
      if (
        !(error instanceof TransportError) ||
        retry >= config.KAFKA_RETRIES ||
        Date.now() + delay > deadline
      ) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** One record of a batch answer: published when it has an offset and no error. */
function recordOutcome(
  result: { partition?: unknown; offset?: unknown } | undefined,
  error: string | undefined,
): Delivery {
  if (error !== undefined || !result || typeof result.offset !== "number") {
    return {
      status: "failed",
      error: error ?? `record not acknowledged: ${JSON.stringify(result)}`,
      transport: false,
    };
  }
  return {
    status: "published",
    partition: typeof result.partition === "number" ? result.partition : null,
    offset: result.offset,
  };
}

function failure(error: unknown): Delivery {
  return error instanceof TransportError
    ? { status: "failed", error: error.message, transport: true }
    : { status: "failed", error: error instanceof Error ? error.message : String(error), transport: false };
}

/** Sends one record at a time; the first failure and everything after it are reported so. */
async function oneByOne(
  records: KafkaRecord[],
  deadline: number,
  sendOne: (record: KafkaRecord) => Promise<Delivery>,
): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (const record of records) {
    const blocked = deliveries.some((delivery) => delivery.status !== "published") || Date.now() > deadline;
    deliveries.push(blocked ? { status: "skipped" } : await sendOne(record).catch(failure));
  }
  return deliveries;
}

function confluentV3(config: Config, baseUrl: string): KafkaProducer {
  const cluster = encodeURIComponent(config.KAFKA_CLUSTER_ID ?? "");
  const headers = { "content-type": "application/json", ...kafkaAuthHeaders(config) };
  return {
    send: (records, deadline) =>
      oneByOne(records, deadline, async (record) => {
        const url = `${baseUrl}/v3/clusters/${cluster}/topics/${encodeURIComponent(record.topic)}/records`;
        const { status, body, message } = await withRetries(config, deadline, () =>
          post(url, {
            headers,
            timeoutMs: config.KAFKA_TIMEOUT_MS,
            body: {
              key: { type: "STRING", data: record.key },
              value: { type: "JSON", data: record.value },
              headers: Object.entries(record.headers).map(([name, value]) => ({
                name,
                value: base64(value),
              })),
            },
          }),
        );
        // Errors can arrive inside a 200: only error_code 200 (or none) with an offset is a success.
        const code = typeof body.error_code === "number" ? body.error_code : status;
        if (status >= 300 || code >= 300 || typeof body.offset !== "number") {
          return { status: "failed", error: `error_code ${code}: ${message}`, transport: false };
        }
        return {
          status: "published",
          partition: typeof body.partition_id === "number" ? body.partition_id : null,
          offset: body.offset,
        };
      }),
  };
}

function restProxyV2(config: Config, baseUrl: string): KafkaProducer {
  const headers = {
    "content-type": "application/vnd.kafka.json.v2+json",
    accept: "application/vnd.kafka.v2+json",
    ...kafkaAuthHeaders(config),
  };
  return {
    async send(records, deadline) {
      const topic = records[0]?.topic ?? "";
      if (Date.now() > deadline) return records.map(() => ({ status: "skipped" }));
      try {
        const { status, body, message } = await withRetries(config, deadline, () =>
          post(`${baseUrl}/topics/${encodeURIComponent(topic)}`, {
            headers,
            timeoutMs: config.KAFKA_TIMEOUT_MS,
            body: { records: records.map((record) => ({ key: record.key, value: record.value })) },
          }),
        );
        const offsets = Array.isArray(body.offsets) ? (body.offsets as Record<string, unknown>[]) : [];
        if (status >= 300 || offsets.length !== records.length) {
          const error = `HTTP ${status}: ${message}`;
          return records.map(() => ({ status: "failed", error, transport: false }));
        }
        return offsets.map((result) =>
          recordOutcome(
            result,
            result.error_code != null ? `error_code ${result.error_code}: ${result.error}` : undefined,
          ),
        );
      } catch (error) {
        return records.map(() => failure(error));
      }
    },
  };
}

function upstash(config: Config, baseUrl: string): KafkaProducer {
  const producer = new Kafka({
    url: baseUrl,
    username: config.KAFKA_USERNAME ?? "",
    password: config.KAFKA_PASSWORD ?? "",
  }).producer();
  return {
    async send(records, deadline) {
      if (Date.now() > deadline) return records.map(() => ({ status: "skipped" }));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TransportError(`timed out after ${config.KAFKA_TIMEOUT_MS} ms`)),
          config.KAFKA_TIMEOUT_MS,
        );
      });
      try {
        // The library retries failed calls itself (up to 5 times); the timeout bounds all of it.
        const results = (await Promise.race([
          producer.produceMany(
            records.map((record) => ({
              topic: record.topic,
              key: record.key,
              value: record.value,
              headers: Object.entries(record.headers).map(([key, value]) => ({ key, value })),
            })),
          ),
          timeout,
        ])) as unknown[];
        return records.map((_, index) => {
          const result = results[index] as
            | { partition?: unknown; offset?: unknown; error?: unknown }
            | undefined;
          return recordOutcome(result, result?.error ? String(result.error) : undefined);
        });
      } catch (error) {
        return records.map(() =>
          failure(error instanceof TransportError ? error : new TransportError(String(error))),
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface KafkaClient {
  producer: KafkaProducer;
  breaker: CircuitBreaker;
}

const clients = new WeakMap<Config, KafkaClient>();

/** The configured producer and its breaker, once per isolate and configuration; none without a URL. */
export function kafkaClient(config: Config): KafkaClient | undefined {
  if (!config.KAFKA_REST_URL) return undefined;
  let client = clients.get(config);
  if (!client) {
    const baseUrl = config.KAFKA_REST_URL.replace(/\/+$/, "");
    const make = { "confluent-v3": confluentV3, "rest-v2": restProxyV2, upstash }[config.KAFKA_PRODUCER];
    client = {
      producer: make(config, baseUrl),
      breaker: new CircuitBreaker({ threshold: 5, openMs: config.KAFKA_BREAKER_OPEN_MS }),
    };
    clients.set(config, client);
  }
  return client;
}
