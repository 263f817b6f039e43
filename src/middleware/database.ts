// A Drizzle database per request (the Neon driver cannot share sockets across requests); the
// pool is ended after the response.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { openDatabase } from "../db/client";

export function database() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const handle = openDatabase(c.get("config"));
    c.set("db", handle.db);
    try {
      await next();
    } finally {
      c.executionCtx.waitUntil(handle.close());
    }
  });
}
