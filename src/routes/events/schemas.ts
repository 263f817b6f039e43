import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../lib/pagination";
import { ULID } from "../http";

const field = z.string().min(1).max(255);

export const EventSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    release: z.string(),
    platform_id: z.string(),
    package: z.string(),
    description: z.string(),
    payload: z.record(z.string(), z.unknown()),
    success: z.boolean(),
    event_receiver_id: z.string(),
    created_at: z.string(),
    created_by: z.string(),
    request_id: z.string(),
  })
  .openapi("Event");

export const CreateEvent = z
  .strictObject({
    name: field,
    version: field,
    release: field,
    platform_id: field,
    package: field,
    description: z.string().max(1024).default(""),
    payload: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Must satisfy the receiver's schema; at most 256 KiB" }),
    success: z.boolean(),
    event_receiver_id: ULID,
  })
  .openapi("CreateEvent");

const rfc3339 = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const EventQuery = PageQuery.extend({
  event_receiver_id: ULID.optional(),
  name: z.string().max(255).optional(),
  version: z.string().max(255).optional(),
  release: z.string().max(255).optional(),
  platform_id: z.string().max(255).optional(),
  package: z.string().max(255).optional(),
  success: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
  since: rfc3339.optional().openapi({ description: "RFC 3339, inclusive" }),
  until: rfc3339.optional().openapi({ description: "RFC 3339, exclusive" }),
});
