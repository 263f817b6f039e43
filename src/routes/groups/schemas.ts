import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../lib/pagination";
import { ULID } from "../http";

const name = z.string().min(1).max(255);

export const GroupSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    version: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    fingerprint: z
      .string()
      .openapi({ description: "SHA-256 (hex) of the RFC 8785 form of {name, type, version}" }),
    event_receiver_ids: z.array(z.string()).openapi({ description: "The member receivers, sorted" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ReceiverGroup");

/** Each duplicate is reported at its own index, so a client sees which entry to drop. */
const MemberIds = z
  .array(ULID)
  .max(100)
  .superRefine((ids, ctx) => {
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) {
        ctx.addIssue({ code: "custom", path: [index], message: `duplicate event receiver id ${id}` });
      }
    });
  })
  .openapi({ description: "0–100 unique ids of event receivers of the tenant", uniqueItems: true });

export const CreateGroup = z
  .strictObject({
    name,
    type: name,
    version: z.string().min(1).max(64),
    description: z.string().max(1024).default(""),
    enabled: z.boolean().default(true),
    event_receiver_ids: MemberIds,
  })
  .openapi("CreateReceiverGroup");

export const UpdateGroup = z
  .strictObject({ description: z.string().max(1024), enabled: z.boolean() })
  .partial()
  .openapi("UpdateReceiverGroup");

export const ReplaceMembers = z
  .strictObject({ event_receiver_ids: MemberIds })
  .openapi("ReplaceGroupMembers");

export const GroupQuery = PageQuery.extend({
  name: z.string().max(255).optional(),
  type: z.string().max(255).optional(),
  version: z.string().max(64).optional(),
  enabled: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
});

export const CompletionSchema = z
  .object({
    id: z.string(),
    group_id: z.string(),
    name: z.string(),
    version: z.string(),
    release: z.string(),
    platform_id: z.string(),
    package: z.string(),
    event_ids: z
      .array(z.string())
      .openapi({ description: "The members' latest events that completed the group" }),
    created_at: z.string(),
  })
  .openapi("GroupCompletion");

export const CompletionQuery = PageQuery.extend({
  name: z.string().max(255).optional(),
  version: z.string().max(255).optional(),
  release: z.string().max(255).optional(),
  platform_id: z.string().max(255).optional(),
  package: z.string().max(255).optional(),
});
