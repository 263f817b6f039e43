import { z } from "@hono/zod-openapi";
import { WEBHOOK_EVENT_TYPES } from "../../domain/webhooks";
import { PageQuery } from "../../lib/pagination";
import { ULID } from "../http";

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    event_types: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    receiver_ids: z.array(z.string()),
    group_ids: z.array(z.string()),
    enabled: z.boolean(),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: "Until then the secret before the last rotation signs too" }),
    failing_since: z.string().nullable().openapi({ description: "Since when every delivery has failed" }),
    disabled_reason: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

const Secret = z.object({
  secret: z.string().openapi({ description: "whsec_…: the signing secret. Shown only in this response." }),
});
export const NewWebhookSchema = WebhookSchema.extend(Secret.shape).openapi("NewWebhook");

const unique = (ids: string[]) => new Set(ids).size === ids.length;
const Ids = z.array(ULID).max(100).refine(unique, "ids must be unique");

const fields = {
  url: z
    .string()
    .max(2048)
    .openapi({ description: "https, on the default port, to a public host (production)" }),
  event_types: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(2)
    .refine(unique, "event types must be unique"),
  receiver_ids: Ids.openapi({ description: "Only events of these receivers (empty: all)" }),
  group_ids: Ids.openapi({ description: "Only completions of these groups (empty: all)" }),
  enabled: z.boolean(),
};

export const CreateWebhook = z
  .strictObject({
    ...fields,
    receiver_ids: fields.receiver_ids.default([]),
    group_ids: fields.group_ids.default([]),
    enabled: fields.enabled.default(true),
  })
  .openapi("CreateWebhook");

export const UpdateWebhook = z.strictObject(fields).partial().openapi("UpdateWebhook");

export const DeliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    message_id: z
      .string()
      .openapi({ description: "The webhook-id header: the CloudEvent's id, the same on every attempt" }),
    type: z.string(),
    status: z.enum(["pending", "delivered", "dead"]),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    response_status: z.number().int().nullable(),
    latency_ms: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

export const WebhookQuery = PageQuery;
