// The Kafka message (API.md "Kafka message"): a CloudEvents 1.0 JSON value, keyed per receiver,
// written to the outbox in the same transaction as the fact it announces.
import { ulid } from "ulidx";
import type { outbox } from "../db/schema";
import type { Config } from "../env";

export interface MessageContext {
  config: Config;
  tenantId: string;
  requestId: string;
  traceparent: string;
}

type OutboxRow = typeof outbox.$inferInsert;

/** The Kafka key: per-receiver ordering within a tenant. */
export const outboxKey = (tenantId: string, receiverId: string) => `${tenantId}:${receiverId}`;

export function outboxMessage(
  ctx: MessageContext,
  message: {
    id: string;
    type: "xzepr.event.created" | "xzepr.group.completed";
    /** Per-receiver ordering: a completion is keyed like the event that caused it. */
    receiverId: string;
    source: string;
    subject: string;
    time: Date;
    data: Record<string, unknown>;
  },
): OutboxRow {
  return {
    id: ulid(),
    tenantId: ctx.tenantId,
    topic: ctx.config.KAFKA_TOPIC,
    key: outboxKey(ctx.tenantId, message.receiverId),
    value: {
      specversion: "1.0",
      id: message.id,
      source: message.source,
      type: message.type,
      subject: message.subject,
      time: message.time.toISOString(),
      datacontenttype: "application/json",
      dataschemaversion: 1,
      data: message.data,
    },
    headers: {
      traceparent: ctx.traceparent,
      "x-request-id": ctx.requestId,
      "x-tenant-id": ctx.tenantId,
      "content-type": "application/cloudevents+json; charset=utf-8",
    },
  };
}
