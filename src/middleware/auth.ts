// Authentication (who is calling, 401) and authorization (may they, 403) middleware.

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { touchApiKey } from "../domain/api-keys";
import { writeAudit } from "../domain/audit";
import { AuthFailure, authenticate as resolvePrincipal } from "../domain/auth";
import type { Permission } from "../domain/permissions";
import { permissionsFor } from "../domain/permissions";
import { ApiError } from "../lib/errors";
import { requestMeta } from "./request-context";

export const REALM = 'Bearer realm="xzepr"';

export function unauthenticated(presented: boolean): ApiError {
  return new ApiError(401, "UNAUTHENTICATED", "Valid credentials are required.", {
    headers: { "WWW-Authenticate": presented ? `${REALM}, error="invalid_token"` : REALM },
  });
}

/** Logs why a credential was refused (never to the client) and answers 401. */
export function refuse(c: Context<AppEnv>, failure: AuthFailure): ApiError {
  c.get("logger").info("auth denied", { reason: failure.reason });
  c.get("metrics").inc("xzepr_auth_failures_total", { reason: failure.reason });
  return unauthenticated(failure.presented);
}

/**
 * Resolves the caller for every route except the public ones, named here by method and template.
 */
export function authenticate(options: { public: string[] }) {
  const open = new Set(options.public);
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = c.get("route");
    if (open.has(route) || open.has(`${c.req.method} ${route}`)) return next();
    try {
      const principal = await resolvePrincipal(
        { config: c.get("config"), db: c.get("db"), now: Math.floor(Date.now() / 1000) },
        { authorization: c.req.header("authorization"), apiKey: c.req.header("x-api-key") },
      );
      c.set("principal", principal);
      c.set("tenantId", principal.tenantId);
      c.set("principalId", principal.id);
      if (principal.auth === "api_key") {
        const recorded = touchApiKey(c.get("config"), principal.tenantId, principal.id, new Date()).catch(
          (error) => c.get("logger").warn("api key use not recorded", { error: String(error) }),
        );
        c.executionCtx.waitUntil(recorded);
      }
    } catch (error) {
      if (error instanceof AuthFailure) throw refuse(c, error);
      throw error;
    }
    await next();
    c.res.headers.set("Cache-Control", "no-store");
  });
}

/**
 * 403 unless the caller's roles grant the permission the route declared (`protectedRoute`).
 * Routes without one (`/auth/me`, `/auth/revoke`) are open to any authenticated caller.
 */
export function authorize(permissions: ReadonlyMap<string, Permission>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get("principal");
    const permission = permissions.get(`${c.req.method === "HEAD" ? "GET" : c.req.method} ${c.get("route")}`);
    if (principal && permission && !permissionsFor(principal.roles).includes(permission)) {
      c.get("logger").info("auth denied", { reason: "missing_permission", permission });
      c.get("metrics").inc("xzepr_auth_failures_total", { reason: "missing_permission" });
      // No change to roll back: the entry is written after the response.
      const actor = { tenantId: principal.tenantId, principal, request: requestMeta(c) };
      const entry = {
        action: "auth.denied",
        resourceType: "route",
        resourceId: `${c.req.method} ${c.get("route")}`,
      };
      c.get("afterResponse")("audit", () => writeAudit(c.get("db"), actor, { ...entry, outcome: "denied" }));
      throw new ApiError(403, "FORBIDDEN", `This operation needs the ${permission} permission.`);
    }
    await next();
  });
}
