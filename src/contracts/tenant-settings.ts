// A tenant's settings (quota, limits, deny lists): written by platform admins, read by admission.
import { z } from "@hono/zod-openapi";

const perMinute = z.number().int().min(1).max(1_000_000);

export const TenantSettings = z
  .strictObject({
    /** Events accepted per calendar month (UTC); absent → unlimited. */
    event_quota_per_month: z.number().int().min(0).optional(),
    /** Requests per minute per tier, overriding the defaults (anonymous 10, authenticated 100, admin 1000). */
    rate_limits: z
      .strictObject({ anonymous: perMinute, authenticated: perMinute, admin: perMinute })
      .partial()
      .optional(),
    /** Concurrent requests in flight before 503 OVERLOADED. */
    max_in_flight: z.number().int().min(1).max(10_000).optional(),
    deny_ips: z.array(z.string().max(64)).max(1_000).optional(),
    deny_principals: z.array(z.string().max(64)).max(1_000).optional(),
  })
  .openapi("TenantSettings");
export type TenantSettings = z.infer<typeof TenantSettings>;
