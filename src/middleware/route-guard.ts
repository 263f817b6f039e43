// Decides 404 and 405 before authentication (the paths are public in the OpenAPI document), and
// records the matched route template for logs and metrics.
import type { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { TrieRouter } from "hono/router/trie-router";
import type { AppEnv } from "../context";
import { ApiError } from "../lib/errors";

interface RouteEntry {
  template: string;
  methods: Set<string>;
}

function buildRouter(app: Hono<AppEnv>): TrieRouter<RouteEntry> {
  const byPath = new Map<string, RouteEntry>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue; // middleware
    const entry = byPath.get(route.path) ?? { template: route.path, methods: new Set<string>() };
    entry.methods.add(route.method);
    if (route.method === "GET") entry.methods.add("HEAD");
    byPath.set(route.path, entry);
  }
  const router = new TrieRouter<RouteEntry>();
  for (const [path, entry] of byPath) router.add("ALL", path, entry);
  return router;
}

export function routeGuard(app: Hono<AppEnv>) {
  let router: TrieRouter<RouteEntry> | undefined;
  return createMiddleware<AppEnv>(async (c, next) => {
    router ??= buildRouter(app);
    const [matches] = router.match("ALL", c.req.path);
    const entries = matches.map(([entry]) => entry);
    if (entries.length === 0) {
      throw new ApiError(404, "NOT_FOUND", `No route matches ${c.req.path}.`);
    }
    const match = entries.find((entry) => entry.methods.has(c.req.method));
    if (!match) {
      const allow = [...new Set(entries.flatMap((entry) => [...entry.methods]))].sort().join(", ");
      throw new ApiError(405, "METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${c.req.path}.`, {
        headers: { Allow: allow },
      });
    }
    c.set("route", match.template);
    await next();
  });
}
