import { z } from "@hono/zod-openapi";
import { TenantSettings } from "../../../contracts/tenant-settings";

export const TenantSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    settings: TenantSettings,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Tenant");

export const CreateTenant = z
  .strictObject({
    slug: z.string().regex(/^[a-z0-9-]{3,63}$/, "3–63 characters of a-z, 0-9 and -"),
    name: z.string().min(1).max(255),
    enabled: z.boolean().default(true),
    settings: TenantSettings.default({}),
  })
  .openapi("CreateTenant");

export const UpdateTenant = z
  .strictObject({ name: z.string().min(1).max(255), enabled: z.boolean(), settings: TenantSettings })
  .partial()
  .openapi("UpdateTenant");
