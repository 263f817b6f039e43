import { z } from "@hono/zod-openapi";
import { ROLES } from "../../../domain/permissions";
import { Roles } from "../../api-keys/schemas";

export const PrincipalSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    roles: z.array(z.enum(ROLES)),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Principal");

export const CreatePrincipal = z
  .strictObject({ name: z.string().min(1).max(255), roles: Roles, enabled: z.boolean().default(true) })
  .openapi("CreatePrincipal");

export const UpdatePrincipal = z
  .strictObject({ name: z.string().min(1).max(255), roles: Roles, enabled: z.boolean() })
  .partial()
  .openapi("UpdatePrincipal");
