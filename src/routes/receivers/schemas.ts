import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../lib/pagination";

const name = z.string().min(1).max(255);

export const ReceiverSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    version: z.string(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown()),
    fingerprint: z
      .string()
      .openapi({ description: "SHA-256 (hex) of the RFC 8785 form of {name, type, version, schema}" }),
    created_at: z.string(),
  })
  .openapi("EventReceiver");

export const CreateReceiver = z
  .strictObject({
    name,
    type: name,
    version: z.string().min(1).max(64),
    description: z.string().max(1024).default(""),
    schema: z.record(z.string(), z.unknown()).openapi({ description: "A JSON Schema (draft 2020-12 or 7)" }),
  })
  .openapi("CreateEventReceiver");

export const UpdateReceiver = z
  .strictObject({ description: z.string().max(1024) })
  .openapi("UpdateEventReceiver");

export const ReceiverQuery = PageQuery.extend({
  name: z.string().max(255).optional(),
  type: z.string().max(255).optional(),
  version: z.string().max(64).optional(),
});
