// What goes to Kafka and what became of it: the records the outbox publisher sends and the
// producers' per-record outcomes.

export interface KafkaRecord {
  topic: string;
  key: string;
  value: unknown;
  headers: Record<string, string>;
}

/**
 * What happened to one record. `transport` failures (timeout, network, 5xx, refused credentials)
 * say the endpoint is unwell and feed the circuit breaker; a record-level error does not.
 * `skipped`: not sent because an earlier record of the same key failed in this call.
 */
export type Delivery =
  | { status: "published"; partition: number | null; offset: number | null }
  | { status: "failed"; error: string; transport: boolean }
  | { status: "skipped" };
