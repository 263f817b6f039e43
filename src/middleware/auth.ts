// Authentication (who is calling, 401) and authorization (may they, 403) middleware.

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { firstUseThisMinute, touchApiKey } from "../domain/api-keys";
import { writeAudit } from "../domain/audit";
import { type AuthDeps, AuthFailure, type Principal, authenticate as resolvePrincipal } from "../domain/auth";
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

/** What resolving a credential and asking the gate need: the request's config, database, time and gates. */
export function authDeps(c: Context<AppEnv>): AuthDeps {
  const now = Math.floor(c.get("clock").now().getTime() / 1000);
  return { config: c.get("config"), db: c.get("db"), now, gates: c.get("gates") };
}

/**
 * Resolves the caller for every route except the public ones, named here by method and template
 * (or, for a page a route serves without credentials, by `publicWhen`). Credentials are checked in
 * the isolate; the subject's status is the gate's, in admission's one call.
 */
export function authenticate(options: { public: string[]; publicWhen?: (c: Context<AppEnv>) => boolean }) {
  const open = new Set(options.public);
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = c.get("route");
    if (open.has(route) || open.has(`${c.req.method} ${route}`) || options.publicWhen?.(c)) return next();
    const deps = authDeps(c);
    try {
      const principal = await resolvePrincipal(deps, {
        authorization: c.req.header("authorization"),
        apiKey: c.req.header("x-api-key"),
      });
      c.set("principal", principal);
      c.set("tenantId", principal.tenantId);
      c.set("principalId", principal.id);
      if (principal.auth === "api_key" && firstUseThisMinute(principal.id, deps.now)) {
        c.get("after").run("api key use", () =>
          touchApiKey(deps.db, principal.tenantId, principal.id, new Date(deps.now * 1000)),
        );
      }
    } catch (error) {
      if (error instanceof AuthFailure) throw refuse(c, error);
      throw error;
    }
    await next();
    c.res.headers.set("Cache-Control", "no-store");
  });
}

/** The permission the route declared (`protectedRoute`) that the caller's roles lack, if any. */
export function missingPermission(
  c: Context<AppEnv>,
  permissions: ReadonlyMap<string, Permission>,
  principal: Principal,
): Permission | undefined {
  const permission = permissions.get(`${c.req.method === "HEAD" ? "GET" : c.req.method} ${c.get("route")}`);
  return permission && !permissionsFor(principal.roles).includes(permission) ? permission : undefined;
}

/**
 * 403 for a role that lacks the route's permission; logged, counted, and audited after the
 * response (no change to roll back). Routes without a permission (`/auth/me`, `/auth/revoke`) are
 * open to any authenticated caller.
 */
export function forbidden(c: Context<AppEnv>, principal: Principal, permission: Permission): ApiError {
  c.get("logger").info("auth denied", { reason: "missing_permission", permission });
  c.get("metrics").inc("xzepr_auth_failures_total", { reason: "missing_permission" });
  const actor = { tenantId: principal.tenantId, principal, request: requestMeta(c) };
  const entry = {
    action: "auth.denied",
    resourceType: "route",
    resourceId: `${c.req.method} ${c.get("route")}`,
    outcome: "denied" as const,
  };
  const db = c.get("db");
  c.get("after").run("audit", () => writeAudit(db, actor, entry));
  return new ApiError(403, "FORBIDDEN", `This operation needs the ${permission} permission.`);
}
