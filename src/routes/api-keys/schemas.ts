import { z } from "@hono/zod-openapi";
import { ROLES, TENANT_ROLES } from "../../domain/permissions";

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ example: "xzepr_1a43c26d" }),
    roles: z.array(z.enum(ROLES)),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
  })
  .openapi("ApiKey");

export const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The secret. Shown only in this response." }),
}).openapi("NewApiKey");

export const Roles = z
  .array(z.enum(TENANT_ROLES))
  .min(1)
  .max(3)
  .refine((roles) => new Set(roles).size === roles.length, "roles must be unique");
